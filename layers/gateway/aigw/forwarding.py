"""Which headers cross the gateway, in each direction."""

from __future__ import annotations

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
# `date` and `server` describe the connection the client is on: the server in front (uvicorn,
# API Gateway) always writes its own, so relaying the upstream's made them appear twice
# ("server: uvicorn, uvicorn"; two Dates, which RFC 9110 allows only once).
RESPONSE_DROP = HOP_BY_HOP | frozenset({"content-encoding", "date", "server"})


def request_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Client headers to forward: not hop-by-hop (including those the client's `Connection`
    header names, RFC 9110 7.6.1), not the gateway's own (`cf-aig-*`)."""
    headers = list(headers)
    listed = {token.strip().lower() for name, value in headers if name.lower() == "connection"
              for token in value.split(",")}
    out: dict[str, str] = {}
    for name, value in headers:
        n = name.lower()
        if (n in HOP_BY_HOP or n in listed or n in INFRASTRUCTURE or n in REQUEST_ONLY_DROP
                or n.startswith("cf-aig-") or n.startswith(INFRASTRUCTURE_PREFIXES)):
            continue
        out[n] = value
    return out


def response_headers(
        headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(k, v) for k, v in items if k.lower() not in RESPONSE_DROP]
