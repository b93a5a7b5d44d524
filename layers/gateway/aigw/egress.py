"""The one egress policy for destinations a user configures (custom provider `base_url` today;
OpenTelemetry exporters and webhooks use the same functions).

A user-configured URL must be `https`, name a host by DNS name or by a public IP literal, and that
host must resolve only to public unicast addresses. The rule is checked twice:

- when the URL is saved, `check_url` refuses the shapes that can never pass (other schemes,
  credentials in the URL, loopback / private / link-local literals, `0x7f.1`-style numeric
  hosts that resolvers read as IPv4, `localhost` names). It does not resolve DNS.
- when a connection is made, `PublicOnlyResolver` refuses a name if *any* of its addresses is not
  public, and `guarded_socket` re-checks the exact address each socket connects to (aiohttp skips
  the resolver for IP literals). A DNS answer that changes after the save (rebinding) is caught
  here. Redirects are never followed (`allow_redirects=False` in `aigw.upstream`).

What counts as public: `ipaddress`'s `is_global` (IANA special-purpose registries), and not
multicast, reserved, link-local, loopback, unspecified or CGNAT (100.64.0.0/10); IPv6 forms that
embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, 6to4 `2002::/16`, NAT64 `64:ff9b::/96`) are
judged by that IPv4 address.

`AIGW_EGRESS_ALLOW_PRIVATE=true` (read in `aigw.config`; off by default, never set by the template
or `make dev`) lets local development and tests reach loopback and private (RFC 1918 / ULA)
addresses over http or https, e.g. a model server on localhost. Link-local (cloud metadata),
multicast and unspecified addresses stay refused even then.

Failures never say which check failed to the caller: the upstream module answers every
connect-phase failure of a user-configured destination (refused by policy, closed, filtered,
not TLS) with the same message.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aigw.config import get_settings

if TYPE_CHECKING:
    from aiohttp.abc import ResolveResult

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
#: Refused whatever the running Python's `ipaddress` tables say (they changed across releases).
_ALWAYS_REFUSED_V4 = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: The last DNS label of a host that URL parsers and resolvers read as an IPv4 number
#: (WHATWG URL "ends in a number"; inet_aton accepts hex, octal and short forms).
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_LOCAL_NAMES = ("localhost", "localhost.localdomain")


class EgressRefused(ValueError):
    """A user-configured destination the policy refuses (a ValueError so pydantic validators can
    raise it as a field problem). The message names the rule, never a resolved address."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: Address) -> bool:
    """Whether `ip` is a public unicast address (see the module docstring for the rule)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return is_public(inner)
        if ip.is_site_local:
            return False
    if ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_loopback \
            or ip.is_unspecified or ip.is_private:
        return False
    if isinstance(ip, ipaddress.IPv4Address) and any(ip in n for n in _ALWAYS_REFUSED_V4):
        return False
    return ip.is_global


def _private_allowed(ip: Address) -> bool:
    """What `AIGW_EGRESS_ALLOW_PRIVATE` opens: loopback and private ranges, nothing else."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return _private_allowed(inner)
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return False
    return ip.is_loopback or ip.is_private or (isinstance(ip, ipaddress.IPv4Address)
                                               and ip in _CGNAT)


def allow_private() -> bool:
    return get_settings().egress_allow_private


def address_allowed(ip: Address, private_ok: bool | None = None) -> bool:
    """The connect-time rule for one address."""
    if is_public(ip):
        return True
    return bool(allow_private() if private_ok is None else private_ok) and _private_allowed(ip)


def check_url(url: str) -> str:
    """Save-time check of a user-configured URL; returns it unchanged.

    Raises `EgressRefused` for: a scheme other than https (http too when private addresses are
    allowed), credentials, a missing host, `localhost` names, IP literals that are not public,
    and hosts written as numbers in any form other than a plain dotted quad. DNS names are not
    resolved here: that happens, and is enforced, at connect time.
    """
    private_ok = allow_private()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as e:
        raise EgressRefused("is not a valid URL") from e
    schemes = ("https", "http") if private_ok else ("https",)
    if parts.scheme not in schemes:
        raise EgressRefused("must use https")
    if "@" in parts.netloc:
        raise EgressRefused("must not contain credentials (user@host)")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise EgressRefused("must name a host")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if ip is not None:
        if not address_allowed(ip, private_ok):
            raise EgressRefused("must name a public host")
        return url
    try:
        host.encode("idna")
    except UnicodeError as e:
        raise EgressRefused("must name a valid host") from e
    if _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        raise EgressRefused("must name a host by DNS name or a dotted-quad / bracketed IPv6 "
                            "address")
    if not private_ok and (host in _LOCAL_NAMES or host.endswith(".localhost")):
        raise EgressRefused("must name a public host")
    return url


def _refused() -> OSError:
    # An OSError: aiohttp turns it into a connection error like any other unreachable host.
    return OSError("destination not allowed by the egress policy")


def guarded_socket(addr_info: tuple[Any, ...]) -> socket.socket:
    """aiohttp `socket_factory`: refuses to create a socket for a non-public address."""
    family, type_, proto, _, sockaddr = addr_info
    try:
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
    except ValueError:
        raise _refused() from None
    if not address_allowed(ip):
        raise _refused()
    return socket.socket(family=family, type=type_, proto=proto)


def public_only_resolver() -> Any:
    """An aiohttp resolver that refuses a host when any resolved address is not allowed."""
    from aiohttp.abc import AbstractResolver
    from aiohttp.resolver import DefaultResolver

    class PublicOnlyResolver(AbstractResolver):
        def __init__(self) -> None:
            self._inner = DefaultResolver()

        async def resolve(self, host: str, port: int = 0,
                          family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
            infos = await self._inner.resolve(host, port, family)
            for info in infos:
                try:
                    ip = ipaddress.ip_address(str(info["host"]).split("%", 1)[0])
                except ValueError:
                    raise _refused() from None
                if not address_allowed(ip):
                    raise _refused()
            return infos

        async def close(self) -> None:
            await self._inner.close()

    return PublicOnlyResolver()


def resolve_public(host: str, port: int) -> list[str]:
    """Blocking check for callers outside aiohttp (e.g. an exporter about to connect): the
    host's addresses, all allowed, or `EgressRefused`. Prefer the aiohttp connector, which checks
    the address it actually connects to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        raise EgressRefused("could not be resolved") from e
    addresses = [str(info[4][0]).split("%", 1)[0] for info in infos]
    if not addresses or not all(address_allowed(ipaddress.ip_address(a)) for a in addresses):
        raise EgressRefused("must name a public host")
    return addresses
