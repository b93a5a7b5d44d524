"""The egress policy's address and URL rules (aigw.egress), without the network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest

from aigw import egress
from aigw.config import get_settings

REFUSED_URLS = [
    "https://localhost/v1", "https://LOCALHOST./v1", "https://api.localhost/v1",
    "https://[::1]/v1", "https://[::ffff:127.0.0.1]/v1", "https://[::ffff:7f00:1]/v1",
    "https://0x7f.1/v1", "https://0x7f000001/v1", "https://2130706433/v1",
    "https://017700000001/v1", "https://127.1/v1", "https://127.0.0.1/v1",
    "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/v1",
    "https://[fd00:ec2::254]/v1", "https://10.0.0.1/v1", "https://192.168.1.1/v1",
    "https://172.16.0.1/v1", "https://100.64.0.1/v1", "https://224.0.0.1/v1",
    "https://0.0.0.0/v1", "https://[::]/v1", "https://[64:ff9b::7f00:1]/v1",
    "https://[2002:7f00:1::]/v1", "https://240.0.0.1/v1", "https://255.255.255.255/v1",
    "https://[ff02::1]/v1", "https://198.18.0.1/v1",
    "http://api.example.com/v1", "ftp://api.example.com", "javascript://api.example.com",
    "https://user:pw@api.example.com/v1", "https:///v1", "https://api.example.com:99999",
    "https://1.2.3.0x4/v1",
]
ALLOWED_URLS = ["https://api.example.com/v1", "https://8.8.8.8/v1",
                "https://[2606:4700:4700::1111]/v1", "https://llm.example.com:8443",
                "https://1.2.3.example/v1"]


@pytest.fixture
def private(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    def set_allowed(on: bool) -> None:
        monkeypatch.setenv("AIGW_EGRESS_ALLOW_PRIVATE", "true" if on else "false")
        get_settings.cache_clear()

    set_allowed(False)
    yield set_allowed
    monkeypatch.delenv("AIGW_EGRESS_ALLOW_PRIVATE")
    get_settings.cache_clear()


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_refused_destinations(url, private):
    with pytest.raises(egress.EgressRefused):
        egress.check_url(url)


@pytest.mark.parametrize("url", ALLOWED_URLS)
def test_public_destinations(url, private):
    assert egress.check_url(url) == url


def test_the_setting_is_off_by_default_and_never_set_by_the_template_or_make_dev():
    from pathlib import Path

    from aigw.config import settings_from_env

    assert settings_from_env({}).egress_allow_private is False
    root = Path(__file__).resolve().parents[2]
    for path in ("template.yaml", "Makefile", *map(str, (root / "local").rglob("*.py"))):
        assert "AIGW_EGRESS_ALLOW_PRIVATE" not in (root / path).read_text(), path


def test_private_setting_opens_loopback_and_private_but_never_metadata(private):
    private(True)
    for url in ("https://127.0.0.1:8080/v1", "http://localhost:11434/v1", "https://10.1.2.3",
                "https://[::1]:8443", "https://[::ffff:127.0.0.1]"):
        assert egress.check_url(url) == url
    for url in ("https://169.254.169.254/", "https://[fe80::1]/", "https://224.0.0.1/",
                "https://0.0.0.0/", "https://0x7f.1/"):
        with pytest.raises(egress.EgressRefused):
            egress.check_url(url)


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("1.1.1.1", True), ("2606:4700:4700::1111", True),
    ("127.0.0.1", False), ("10.0.0.1", False), ("100.100.100.200", False),
    ("169.254.170.2", False), ("::ffff:10.0.0.1", False), ("::ffff:8.8.8.8", True),
    ("fc00::1", False), ("fec0::1", False), ("2001:db8::1", False), ("::1", False),
    ("64:ff9b::a00:1", False), ("64:ff9b::808:808", True), ("2002:a00:1::", False),
    ("239.255.255.250", False), ("192.0.0.8", False),
])
def test_address_classification(address, public):
    assert egress.is_public(ipaddress.ip_address(address)) is public


def test_socket_factory_refuses_non_public_addresses(private):
    info = (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 443))
    with pytest.raises(OSError):
        egress.guarded_socket(info)
    private(True)
    egress.guarded_socket(info).close()


def test_resolver_refuses_a_name_with_any_non_public_address(private, monkeypatch):
    """DNS rebinding: a name that passed the save-time check resolves to loopback later."""
    answers = [("93.184.215.14", socket.AF_INET), ("127.0.0.1", socket.AF_INET)]

    def fake_getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002, ANN001, ANN202
        return [(fam, socket.SOCK_STREAM, 6, "", (ip, port)) for ip, fam in answers]

    async def resolve(host: str):  # noqa: ANN202
        resolver = egress.public_only_resolver()
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "getaddrinfo", _async(fake_getaddrinfo))
        try:
            return await resolver.resolve(host, 443)
        finally:
            await resolver.close()

    with pytest.raises(OSError):
        asyncio.run(resolve("rebind.example"))
    answers.pop()
    assert [r["host"] for r in asyncio.run(resolve("rebind.example"))] == ["93.184.215.14"]


def _async(fn):  # noqa: ANN001, ANN202
    async def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        return fn(*args, **kwargs)
    return wrapper
