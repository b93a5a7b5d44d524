"""Shared route helpers: splitting the client path safely and joining it to a base."""

from __future__ import annotations

from urllib.parse import unquote

from aigw.errors import InvalidRequest
from aigw.providers.spec import RouteContext, Target

_FORBIDDEN_DECODED = ("/", "\\", "\x00")


def split_segments(raw_path: str) -> list[tuple[str, str]]:
    """`/a/b%2Fc` -> [("a", "a"), ("b%2Fc", "b/c")]: (raw, decoded) per segment.

    Decoding happens per segment, after splitting, so an encoded slash can never create or
    shift a segment. Dot segments are refused outright.
    """
    parts = [p for p in raw_path.split("/") if p != ""]
    out = []
    for raw in parts:
        decoded = unquote(raw)
        if decoded in {".", ".."}:
            raise InvalidRequest("dot segments are not allowed in the path", code=2008)
        out.append((raw, decoded))
    return out


def decoded_segment(raw: str, decoded: str) -> str:
    """A segment used as a name (host part, region): no encoded separators allowed."""
    if any(c in decoded for c in _FORBIDDEN_DECODED) or raw != decoded and "%" in raw:
        raise InvalidRequest(f"encoded characters are not allowed in {decoded[:80]!r}",
                             code=2008)
    return decoded


def join_raw(segments: list[tuple[str, str]]) -> str:
    return "".join("/" + raw for raw, _ in segments)


def default_route(rest: str, ctx: RouteContext) -> Target:
    """Most providers: the client's path is appended to the base unchanged."""
    return Target(origin=ctx.base.rstrip("/"), path=join_raw(split_segments(rest)))
