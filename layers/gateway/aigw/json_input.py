"""Parsing JSON that arrives from outside (client bodies and headers, upstream answers).

Python's `json.loads` accepts what RFC 8259 forbids (`NaN`, `Infinity`, `-Infinity`) and raises
`RecursionError`, not `ValueError`, on deeply nested input; a value nested hundreds deep also
breaks later recursive code (validation, translation, `json.dumps`). `parse_json` refuses all of
these with one `ValueError` subclass, so every caller's existing "not valid JSON" branch answers
them with a 4xx (or, for upstream bodies, the gateway's 502) instead of a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Deepest nesting accepted. Real requests (tool JSON schemas included) stay far below it.
MAX_DEPTH = 128

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")


class InvalidJSON(ValueError):
    """Not RFC 8259 JSON, or nested deeper than `MAX_DEPTH`. The message quotes no input."""


def _reject_constant(name: str) -> Any:
    raise InvalidJSON(f"{name} is not a JSON number")


def nesting_depth(raw: bytes) -> int:
    """The deepest `[`/`{` nesting of a JSON text (brackets inside strings do not count)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    depth = deepest = 0
    for b in brackets:
        if b in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_json(raw: bytes | str) -> Any:
    """`json.loads` for untrusted input. Raises `InvalidJSON` (a ValueError) for malformed text,
    invalid UTF-8, NaN / Infinity, and nesting deeper than `MAX_DEPTH`."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    # Counting brackets is C-speed; the exact scan runs only when the count could be too deep.
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and nesting_depth(data) > MAX_DEPTH:
        raise InvalidJSON(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except InvalidJSON:
        raise
    except json.JSONDecodeError as e:
        raise InvalidJSON(f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from e
    except (ValueError, RecursionError) as e:
        raise InvalidJSON("malformed JSON") from e
