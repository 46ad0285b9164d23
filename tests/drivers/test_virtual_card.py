"""The virtual card's own pieces: options, profiles and the vpcd wire framing."""

import socket
import struct

import pytest

from drivers.card.virtual_card import (
    PROFILE_DIR,
    Misbehaviour,
    VirtualCard,
    VpcdCard,
    main,
    profile_path,
)


def test_misbehaviour_from_cli_words():
    assert Misbehaviour.parse(["chain=16", "wrong-le", "truncate=3", "vanish-after=4"]) == (
        Misbehaviour(chain=16, wrong_le=True, truncate=3, vanish_after=4)
    )
    assert Misbehaviour.parse([]) == Misbehaviour()


@pytest.mark.parametrize("word", ["chain", "chain=x", "wrong-le=1", "explode"])
def test_unknown_misbehaviour_is_refused(word):
    with pytest.raises(ValueError, match="unknown misbehaviour"):
        Misbehaviour.parse([word])


def test_bundled_profiles_by_name_or_path():
    assert profile_path("beid-maria") == PROFILE_DIR / "beid-maria.json"
    assert profile_path(PROFILE_DIR / "uid-library.json") == PROFILE_DIR / "uid-library.json"
    names = sorted(path.stem for path in PROFILE_DIR.glob("*.json"))
    assert names == ["bank-card", "beid-maria", "piv-demo", "uid-library"]
    for name in names:
        assert VirtualCard.from_profile(name).atr[0] == 0x3B


def test_profile_content_forms():
    card = VirtualCard.from_profile(
        {
            "atr": "3B 80 80 01 01",
            "files": {"3F00 0001": {"ber": [["5F20", "Zoë"], ["70", {"ber": [["5A", "1"]]}]]}},
        }
    )

    assert card.respond(bytes.fromhex("00A4080C02 0001".replace(" ", ""))) == b"\x90\x00"
    assert card.respond(bytes.fromhex("00B0000000")) == (
        bytes.fromhex("5F 20 04") + "Zoë".encode() + bytes.fromhex("70 03 5A 01 31 90 00")
    )


def test_unknown_profile_content_is_refused():
    with pytest.raises(ValueError, match="unknown content"):
        VirtualCard.from_profile({"atr": "3B00", "files": {"0001": {"base64": "AA=="}}})


def test_insert_without_vpcd_is_a_connection_error():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        free_port = probe.getsockname()[1]

    with pytest.raises(ConnectionError, match="not listening"):
        VpcdCard(VirtualCard.from_profile("uid-library"), port=free_port).insert(timeout_s=0.1)


def test_cli_refuses_a_missing_profile(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-card"])

    assert exit_info.value.code == 2
    assert "cannot load no-such-card" in capsys.readouterr().err


class FramePeer:
    """The vpcd side of the wire, minimal: accepts one card and exchanges frames."""

    def __init__(self) -> None:
        self.server = socket.create_server(("localhost", 0))
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.server.settimeout(10)
        self.conn, _ = self.server.accept()
        self.conn.settimeout(10)

    def send(self, payload: bytes) -> None:
        self.conn.sendall(struct.pack(">H", len(payload)) + payload)

    def receive(self) -> bytes:
        size = struct.unpack(">H", self._exactly(2))[0]
        return self._exactly(size)

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.conn.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def close(self) -> None:
        if self.conn:
            self.conn.close()
        self.server.close()


@pytest.fixture
def peer():
    peer = FramePeer()
    yield peer
    peer.close()


def test_wire_protocol_atr_power_and_long_responses(peer):
    card = VpcdCard(VirtualCard.from_profile("piv-demo"), port=peer.port)
    card.insert()
    try:
        peer.accept()
        peer.send(b"\x01")  # power on: no answer expected
        peer.send(b"\x04")
        assert peer.receive() == card.card.atr
        peer.send(bytes.fromhex("00A4040005A000000308"))  # no Le: no FCI
        assert peer.receive() == b"\x90\x00"
        peer.send(bytes.fromhex("00A4040005A00000030800"))
        assert peer.receive()[-4:] == bytes.fromhex("03 08 90 00")
        peer.send(bytes.fromhex("00CB3FFF055C035FC10200"))
        first = peer.receive()
        assert len(first) == 258 and first[-2] == 0x61  # a frame longer than 255 bytes
        peer.send(b"\x02")  # reset: the pending response is gone
        peer.send(bytes.fromhex("00C0000000"))
        assert peer.receive() == b"\x69\x85"
        assert card.apdu_count == 4  # control messages are not APDUs
    finally:
        card.remove()
    assert not card.inserted


def test_vanishing_card_closes_the_connection_instead_of_answering(peer):
    virtual = VirtualCard.from_profile("uid-library", Misbehaviour(vanish_after=1))
    card = VpcdCard(virtual, port=peer.port)
    card.insert()
    peer.accept()
    peer.send(bytes.fromhex("FFCA000000"))
    assert peer.receive()[-2:] == b"\x90\x00"
    peer.send(bytes.fromhex("FFCA000000"))

    with pytest.raises(EOFError):
        peer.receive()
    card.remove()  # already gone: nothing to do
