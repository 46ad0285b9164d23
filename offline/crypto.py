"""Encryption at rest for queued payloads: AES-GCM with a per-device key file.

The key lives beside the database on the kiosk's own disk. That does not protect
against someone who takes the whole SD card; it does keep residents' details out
of database copies, exports and support bundles, none of which carry the key.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12


class KeyFileError(RuntimeError):
    """The key file exists but cannot be used; the message says what to do."""


class UnreadablePayload(ValueError):
    """Wrong key, or a record that was altered or damaged."""


def load_or_create_key(path: str | Path) -> bytes:
    """The device key at ``path``, created (mode 0600) on first use."""
    path = Path(path)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    try:
        # O_EXCL: two processes starting at once must not each write their own key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    _fsync_directory(path.parent)
    log.info("created a new queue encryption key at %s", path)
    return key


def _read_key(path: Path) -> bytes:
    with path.open("rb") as file:
        mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
        key = file.read()
    if len(key) != KEY_BYTES:
        raise KeyFileError(
            f"{path} holds {len(key)} bytes, not a {KEY_BYTES}-byte key; restore it from the "
            "device backup, or move it aside to start a new key (queued items made with the "
            "old key then need that key to be sent)"
        )
    if mode & 0o077:
        os.chmod(path, 0o600)
        log.warning("%s was readable by other users (mode %o); tightened to 0600", path, mode)
    return key


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PayloadCipher:
    def __init__(self, key: bytes):
        if len(key) != KEY_BYTES:
            raise ValueError(f"key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        self._key = key
        # Lets a technician see which key a record needs without revealing the key.
        self.key_id = hashlib.sha256(b"civic-kiosk key id\0" + key).hexdigest()[:12]

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        """``context`` is bound to the ciphertext: a payload moved to another record
        (or with its kind changed) no longer decrypts."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, context)

    def decrypt(self, sealed: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context)
        except (InvalidTag, ValueError) as error:
            raise UnreadablePayload("payload cannot be decrypted with this device's key") from error

    def pseudonym(self, value: str) -> str:
        """A stable stand-in for ``value`` (a bill id, a resident's identity) that can
        be stored and compared without revealing it."""
        digest = hmac.new(self._key, b"pseudonym\0" + value.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]
