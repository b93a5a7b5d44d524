"""Identifiers and timestamps."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


_last_id = 0
_id_lock = threading.Lock()


def time_sortable_id() -> str:
    """A ULID-shaped id (48-bit ms timestamp + 80 random bits, Crockford base32).

    Sorting ids as strings sorts them by creation time, which the logs table relies on. Within
    one process ids are monotonic (ULID's monotonic mode): an id made in the same millisecond
    as the previous one is the previous one plus one, so it still sorts after it.
    """
    global _last_id
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    with _id_lock:
        if value <= _last_id:
            value = _last_id + 1
        _last_id = value
    return _encode(value)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _encode(value: int) -> str:
    out = []
    for _ in range(26):
        out.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


def id_floor(ms: int) -> str:
    """The smallest time-sortable id of millisecond `ms` (ids of that ms sort at or after it)."""
    return _encode(max(ms, 0) << 80)


def id_ceiling(ms: int) -> str:
    """The largest time-sortable id of millisecond `ms`."""
    return _encode((max(ms, 0) << 80) | ((1 << 80) - 1))
