"""Hourly roll-ups of stored logs: what one record adds, and how roll-ups are grouped for the API.

A roll-up is one (gateway, hour, provider, model) cell with sums: requests, errors, cache hits,
tokens in/out, cost (USD, records whose cost is unknown add nothing), latency sum and max (ms),
time to first byte sum, count and max (ms). `GET /gateways/{gw}/analytics` (an aigw extension)
sums cells over a time range, grouped by provider, model or hour.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

GroupBy = Literal["provider", "model", "hour"]
#: Summed fields of a cell, in the order the API shows them.
SUMS = ("requests", "errors", "cache_hits", "tokens_in", "tokens_out", "cost", "latency_sum",
        "ttfb_sum", "ttfb_count")
MAXES = ("latency_max", "ttfb_max")


def hour_of(created_at: str) -> str:
    """`2026-11-30T16:05:01.123Z` -> `2026-11-30T16` (UTC; records are written in UTC)."""
    return created_at[:13]


def cell_key(doc: dict[str, Any]) -> tuple[str, str, str]:
    return hour_of(doc.get("created_at") or ""), doc.get("provider") or "", doc.get("model") or ""


def deltas(doc: dict[str, Any]) -> dict[str, float]:
    """What one record adds to its cell's sums."""
    ttfb = doc.get("time_to_first_byte")
    return {
        "requests": 1,
        "errors": 0 if doc.get("success") else 1,
        "cache_hits": 1 if doc.get("cached") else 0,
        "tokens_in": doc.get("tokens_in") or 0,
        "tokens_out": doc.get("tokens_out") or 0,
        "cost": doc.get("cost") or 0,
        "latency_sum": doc.get("duration") or 0,
        "ttfb_sum": ttfb or 0,
        "ttfb_count": 1 if ttfb is not None else 0,
    }


def maxima(doc: dict[str, Any]) -> dict[str, float]:
    out = {"latency_max": doc.get("duration") or 0}
    if doc.get("time_to_first_byte") is not None:
        out["ttfb_max"] = doc["time_to_first_byte"]
    return out


def add_up(docs: Iterable[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, float]]:
    """Sum the deltas of `docs` per cell (one update per cell per batch)."""
    cells: dict[tuple[str, str, str], dict[str, float]] = {}
    for doc in docs:
        cell = cells.setdefault(cell_key(doc), dict.fromkeys(SUMS, 0))
        for name, value in deltas(doc).items():
            cell[name] += value
    return cells


def group(cells: Iterable[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """Cells (`{hour, provider, model, <sums>, <maxes>}`) merged per `by` value, sorted by it.

    `by` is a `GroupBy`, or any other key the cells carry (the API's totals use a constant)."""
    out: dict[str, dict[str, Any]] = {}
    for cell in cells:
        name = cell[by]
        row = out.setdefault(name, {by: name, **dict.fromkeys(SUMS, 0), **dict.fromkeys(MAXES, 0)})
        for s in SUMS:
            row[s] += cell.get(s, 0)
        for m in MAXES:
            row[m] = max(row[m], cell.get(m, 0))
    rows = [out[k] for k in sorted(out)]
    for row in rows:
        row["cost"] = round(row["cost"], 10)
        row["latency_avg"] = round(row["latency_sum"] / row["requests"], 3) \
            if row["requests"] else None
        row["ttfb_avg"] = round(row["ttfb_sum"] / row["ttfb_count"], 3) \
            if row["ttfb_count"] else None
        if by == "hour":
            row["hour"] = f"{row['hour']}:00:00Z"
    return rows
