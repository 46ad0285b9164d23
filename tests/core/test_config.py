import pytest

from kiosk.config import ConfigError, load_config, parse_config

PRODUCTION = """
[kiosk]
id = lib-central-01
[portal]
url = https://portal.lindenfield.example
token_file = /etc/civic-kiosk/token
identity_salt = s3cret
"""


def test_demo_needs_no_file():
    config = load_config(None, demo=True)
    assert config.demo
    assert config.get("session", "warning_s") >= 20
    assert config.get("display", "fullscreen") is False


def test_production_defaults_are_locked_down():
    config = parse_config(PRODUCTION)
    assert not config.demo
    assert config.get("display", "fullscreen") is True
    assert config.get("portal", "url") == "https://portal.lindenfield.example"


@pytest.mark.parametrize(
    ("extra", "section", "key", "words"),
    [
        ("[session]\nwarning_s = 5\n", "session", "warning_s", "between 20"),
        ("[session]\nwarning_s = soon\n", "session", "warning_s", "number of seconds"),
        (
            "[session]\ninactivity_timeout_s = 40\nwarning_s = 40\n",
            "session",
            "warning_s",
            "shorter",
        ),
        ("[display]\nfullscreen = maybe\n", "display", "fullscreen", "yes or no"),
        ("[sync]\nbatch_size = 0\n", "sync", "batch_size", "between 1 and 500"),
        (
            "[sync]\nbackoff_base_s = 60\nbackoff_max_s = 10\n",
            "sync",
            "backoff_base_s",
            "larger than backoff_max_s",
        ),
        ("[storage]\nmax_queued_items = lots\n", "storage", "max_queued_items", "whole number"),
        ("[storage]\nmin_free_mb = -1\n", "storage", "min_free_mb", "between 0"),
        ("[display]\nwidth = wide\n", "display", "width", "whole number"),
        ("[kiosk]\nlanguages = en, xx\n", "kiosk", "languages", "unsupported language 'xx'"),
        (
            "[kiosk]\ndefault_language = es\nlanguages = en\n",
            "kiosk",
            "default_language",
            "languages",
        ),
        ("[devices]\npayment = cash-drawer\n", "devices", "payment", "must be one of simulator"),
        ("[speech]\nvolum = 3\n", "speech", "volum", "unknown key"),
        ("[portal]\nretries = -1\n", "portal", "retries", "between 0 and 10"),
        ("[portal]\nopen311_url = ftp://x\n", "portal", "open311_url", "https://"),
        ("[payments]\noffline_max_amount = 9.999\n", "payments", "offline_max_amount", "2 dec"),
        ("[payments]\noffline_max_amount = lots\n", "payments", "offline_max_amount", "49.99"),
        ("[payments]\noffline_max_bill_age_h = -2\n", "payments", "offline_max_bill_age_h", "0"),
    ],
)
def test_bad_values_name_the_key(extra, section, key, words):
    with pytest.raises(ConfigError) as caught:
        parse_config(extra, demo=True)
    assert caught.value.section == section
    assert caught.value.key == key
    assert f"[{section}] {key}" in str(caught.value)
    assert words in str(caught.value)


def test_unknown_section_is_an_error():
    with pytest.raises(ConfigError, match=r"\[printers\]: unknown section"):
        parse_config(PRODUCTION + "[printers]\nx = 1\n")


def test_plain_http_only_on_loopback():
    with pytest.raises(ConfigError, match=r"\[portal\] url: must use https"):
        parse_config(PRODUCTION.replace("https://portal.lindenfield.example", "http://10.0.0.5"))
    config = parse_config("[portal]\nurl = http://127.0.0.1:8000\n", demo=True)
    assert config.get("portal", "url") == "http://127.0.0.1:8000"


@pytest.mark.parametrize("key", ["id", "url", "token_file", "identity_salt"])
def test_production_requires_identity_and_portal(key):
    text = "\n".join(line for line in PRODUCTION.splitlines() if not line.startswith(key))
    with pytest.raises(ConfigError, match=rf"\] {key}: is required in production"):
        parse_config(text)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.ini")
    bad = tmp_path / "bad.ini"
    bad.write_text("this is not = an ini file\n")
    with pytest.raises(ConfigError, match="not a valid INI file"):
        load_config(bad)


def test_with_values_rejects_unknown_keys():
    config = load_config(None, demo=True)
    assert config.with_values(portal__url="http://127.0.0.1:1").get("portal", "url").endswith(":1")
    with pytest.raises(KeyError):
        config.with_values(portal__nope="x")


def test_the_key_file_defaults_to_the_data_dir(tmp_path):
    config = load_config(None, demo=True).with_values(storage__data_dir=tmp_path)
    assert config.key_file == tmp_path / "outbox.key"
    chosen = parse_config(f"[storage]\nkey_file = {tmp_path}/k.bin\n", demo=True)
    assert chosen.key_file == tmp_path / "k.bin"


def test_the_pcsc_card_driver_and_a_reader_filter_are_accepted():
    config = parse_config("[devices]\ncard = pcsc\ncard_reader = ACR122\n", demo=True)
    assert config.get("devices", "card") == "pcsc"
    assert config.get("devices", "card_reader") == "ACR122"
    with pytest.raises(ConfigError, match=r"\[devices\] card: must be one of simulator, pcsc"):
        parse_config("[devices]\ncard = nfc\n", demo=True)


def test_an_escpos_printer_is_checked_at_start_with_the_key_named():
    ok = parse_config(
        "[devices]\nprinter = escpos\nprinter_transport = network\nprinter_host = 10.0.0.9\n",
        demo=True,
    )
    assert ok.get("devices", "printer_host") == "10.0.0.9"
    with pytest.raises(ConfigError, match=r"\[devices\] printer_transport: is required"):
        parse_config("[devices]\nprinter = escpos\n", demo=True)
    with pytest.raises(ConfigError, match=r"\[devices\] printer_host: the network printer"):
        parse_config("[devices]\nprinter = escpos\nprinter_transport = network\n", demo=True)
    with pytest.raises(ConfigError, match=r"\[devices\] printer_port"):
        parse_config(
            "[devices]\nprinter = escpos\nprinter_transport = network\nprinter_host = h\n"
            "printer_port = ninety\n",
            demo=True,
        )


def test_offline_payment_limits_and_open311_address():
    limits = "[payments]\noffline_max_amount = 49.99\noffline_max_bill_age_h = 6\n"
    config = parse_config(limits, demo=True)
    assert config.get("payments", "offline_max_amount") == 4999
    assert config.get("payments", "offline_max_bill_age_h") == 6
    from kiosk.config import open311_url

    assert open311_url(parse_config(PRODUCTION)) == "https://portal.lindenfield.example/open311/v2"
    own = parse_config(PRODUCTION + "open311_url = https://311.example/api/v2/\n")
    assert open311_url(own) == "https://311.example/api/v2"
    with pytest.raises(ConfigError, match=r"\[portal\] open311_url"):
        parse_config(PRODUCTION + "open311_url = http://127.0.0.1:9/v2\n")


def test_a_citys_open311_api_key_is_read_from_its_file_and_an_empty_one_named(tmp_path):
    from kiosk.portal_client import PortalClient
    from kiosk.runtime import _city_open311

    key = tmp_path / "open311.key"
    key.write_text("city-issued-key\n")
    text = (
        "[portal]\nurl = https://portal.example\n"
        f"open311_url = https://311.city.example/georeport/v2\nopen311_api_key_file = {key}\n"
    )
    client = PortalClient("https://portal.example", "device-token")
    city = _city_open311(parse_config(text, demo=True), client)
    assert city._api_key == "city-issued-key"
    assert "Authorization" not in city._http.session.headers

    key.write_text("\n")
    with pytest.raises(ConfigError, match=r"\[portal\] open311_api_key_file: .* is empty"):
        _city_open311(parse_config(text, demo=True), client)
    portal_only = parse_config("[portal]\nurl = https://portal.example\n", demo=True)
    assert _city_open311(portal_only, client) is None
    city.close()
    client.close()
