"""Reading the raw request path: segments are split before they are decoded."""

from __future__ import annotations

from urllib.parse import quote, unquote

from starlette.requests import Request

_SAFE = "/:@!$&'()*+,;=-._~"


def raw_path(request: Request) -> str:
    """The path as the client encoded it (uvicorn); Mangum only has the decoded path."""
    raw = request.scope.get("raw_path")
    if raw:
        return raw.decode("latin-1")
    return quote(request.scope.get("path", ""), safe=_SAFE)


def path_names(request: Request, count: int) -> list[str]:
    """The first `count` segments after `/v1`, each decoded once from the raw path.

    The router matched on the decoded path, where `gw%2Fopenai` is two segments; here it is one
    segment named `gw/openai` (which no gateway can be called), so the gateway, provider and
    the tail (`path_tail`) are all read from the same split and can never disagree. Missing
    segments (an encoded slash merged two) come back as "".
    """
    raw = raw_path(request).split("/")[2:2 + count]
    return [unquote(segment) for segment in raw] + [""] * (count - len(raw))


def path_tail(request: Request, skip: int) -> str:
    """The raw path after its first `skip` segments, starting with '/' (or '')."""
    parts = raw_path(request).split("/", skip + 1)
    return "/" + parts[skip + 1] if len(parts) > skip + 1 else ""


def header_list(request: Request) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]]
