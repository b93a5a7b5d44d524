"""Which headers cross the gateway, in each direction."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "trailers", "transfer-encoding", "upgrade", "host", "content-length",
})
# Added by API Gateway, CloudFront or proxies in front of the gateway: not the client's words.
INFRASTRUCTURE = frozenset({"via", "forwarded", "x-real-ip", "x-amzn-trace-id", "x-amz-cf-id"})
INFRASTRUCTURE_PREFIXES = ("x-forwarded-", "cloudfront-", "x-amzn-apigateway-")
# The gateway asks upstreams for identity encoding and relays bytes as they come.
REQUEST_ONLY_DROP = frozenset({"accept-encoding"})
# Cloudflare's deprecated spellings of `cf-aig-cache-ttl` / `cf-aig-skip-cache`: the gateway's.
DEPRECATED_GATEWAY_HEADERS = frozenset({"cf-cache-ttl", "cf-skip-cache"})
# `date` and `server` describe the connection the client is on: the server in front (uvicorn,
# API Gateway) always writes its own, so relaying the upstream's made them appear twice
# ("server: uvicorn, uvicorn"; two Dates, which RFC 9110 allows only once).
RESPONSE_DROP = HOP_BY_HOP | frozenset({"content-encoding", "date", "server"})


#: Request fields whose repeated lines are joined with something other than ", ": the lines
#: of `Cookie` are one list of pairs separated by "; " (RFC 6265 5.4, RFC 9113 8.2.3); joining
#: them with a comma would change what the server reads.
JOIN_SEPARATORS = {"cookie": "; "}


def combined(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header lines as one value per lower-cased name, keeping every value of a repeated one.

    Repeated lines are joined in order with ", " — RFC 9110 5.3: a recipient may combine the
    lines of a list-valued field that way without changing its meaning — except `cookie`
    ("; ", `JOIN_SEPARATORS`). Nothing is dropped: `anthropic-beta: a` + `anthropic-beta: b`
    reaches the upstream as `anthropic-beta: a, b`.
    """
    out: dict[str, str] = {}
    for name, value in headers:
        n = name.lower()
        out[n] = f"{out[n]}{JOIN_SEPARATORS.get(n, ', ')}{value}" if n in out else value
    return out


#: Characters an HTTP field value cannot carry (RFC 9110 5.5: HTAB is the only control allowed).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
#: An HTTP field name (RFC 9110 5.1: a token).
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")


def unsendable_value(value: str) -> bool:
    """Whether a header value has control characters (CR/LF would split the header)."""
    return _CONTROL.search(value) is not None


def request_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Client headers to forward: not hop-by-hop (including those the client's `Connection`
    header names, RFC 9110 7.6.1), not the gateway's own (`cf-aig-*`); repeated ones keep
    every value (`combined`)."""
    headers = list(headers)
    listed = {token.strip().lower() for name, value in headers if name.lower() == "connection"
              for token in value.split(",")}
    kept = []
    for name, value in headers:
        n = name.lower()
        if (n in HOP_BY_HOP or n in listed or n in INFRASTRUCTURE or n in REQUEST_ONLY_DROP
                or n in DEPRECATED_GATEWAY_HEADERS
                or n.startswith("cf-aig-") or n.startswith(INFRASTRUCTURE_PREFIXES)):
            continue
        kept.append((n, value))
    return combined(kept)


def response_headers(
        headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(k, v) for k, v in items if k.lower() not in RESPONSE_DROP]


def header_bytes(value: str) -> bytes | None:
    """A response header value as the bytes to send, or None when HTTP cannot carry it.

    aiohttp decodes upstream header bytes as UTF-8 (undecodable bytes kept as surrogates), so
    encoding back the same way reproduces the upstream's bytes exactly, including values outside
    Latin-1. Values with CR, LF or NUL are dropped rather than sent.
    """
    raw = value.encode("utf-8", "surrogateescape")
    return None if any(b in raw for b in b"\r\n\x00") else raw
