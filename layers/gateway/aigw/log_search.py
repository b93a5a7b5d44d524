"""Runs a logs API query against the logs table with a bounded number of reads.

Plan: a single-valued `eq` filter on `event_id`, `model`, `provider` or `success` (in that order
of preference) picks that index; `start_date` / `end_date` and `created_at` / `id` bounds become
a key range on the time-sorted log id. Everything else is matched in Python on the items read.

Bounds (read units in the README):
- Ordered by `created_at`: items are read newest (or oldest) first and reading stops once the
  page is full — after at least `COUNT_BUDGET` items have been examined when a filter makes
  `total_count` need counting. Unfiltered lists take `total_count` from the stored count item.
- Ordered by anything else: the newest `MAX_EXAMINED` matching-range items are read and sorted.
- No call examines more than `MAX_EXAMINED` items. `result_info.total_count_exact` says whether
  `total_count` is exact; a page that lies past the bound is a 7001 that says to narrow the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aigw.errors import FieldProblem, validation_failed
from aigw.ids import id_ceiling, id_floor
from aigw.log_filters import LogQuery, predicate, sort_key
from aigw.stores.log_store import LogStore

MAX_EXAMINED = 10_000
COUNT_BUDGET = 1_000
INDEX_PREFERENCE = ("event_id", "model", "provider", "success")
LOWEST, HIGHEST = "0" * 26, "Z" * 26


@dataclass
class Page:
    items: list[dict[str, Any]]
    total_count: int
    exact: bool


@dataclass(frozen=True)
class Plan:
    index_key: str | None
    index_value: Any
    low: str
    high: str


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def plan(q: LogQuery) -> Plan:
    low, high = LOWEST, HIGHEST
    if q.start is not None:
        low = max(low, id_floor(_ms(q.start)))
    if q.end is not None:
        high = min(high, id_ceiling(_ms(q.end)))
    for f in q.filters:
        if f.key == "created_at" and len(f.values) == 1 and f.values[0] is not None:
            ms = _ms(f.values[0])
            if f.operator in ("gt", "gte"):
                low = max(low, id_floor(ms))
            elif f.operator in ("lt", "lte"):
                high = min(high, id_ceiling(ms))
        if f.key == "id" and len(f.values) == 1 and f.values[0]:
            value = str(f.values[0]).upper()
            if f.operator in ("gt", "gte"):
                low = max(low, value)
            elif f.operator in ("lt", "lte"):
                high = min(high, value)
            elif f.operator == "eq":
                low, high = max(low, value), min(high, value)
    for key in INDEX_PREFERENCE:
        for f in q.filters:
            if f.key == key and f.operator == "eq" and len(f.values) == 1 \
                    and f.values[0] is not None:
                return Plan(key, f.values[0], low, high)
    return Plan(None, None, low, high)


def _beyond(examined: int) -> Exception:
    return validation_failed([FieldProblem(
        ["page"], f"this page lies past the {examined} logs one list call examines; "
                  "narrow it with start_date / end_date or filters")])


def search(store: LogStore, part: str, q: LogQuery) -> Page:
    p = plan(q)
    test = predicate(q)
    skip, want = (q.page - 1) * q.per_page, q.per_page
    by_time = q.order_by == "created_at"
    descending = q.descending if by_time else True
    count_needed = not q.unfiltered
    matches: list[dict[str, Any]] = []
    found = examined = 0
    exhausted = True
    if p.low <= p.high:
        for doc in store.scan_range(part, p.index_key, p.index_value, p.low, p.high, descending,
                                    page_size=min(max(skip + want, 25), 1000)):
            examined += 1
            if test(doc):
                if not by_time or skip <= found < skip + want:
                    matches.append(doc)
                found += 1
            if examined >= MAX_EXAMINED:
                exhausted = False
                break
            if by_time and found >= skip + want and (not count_needed
                                                     or examined >= COUNT_BUDGET):
                exhausted = False
                break
    if by_time:
        if found <= skip and not exhausted and examined >= MAX_EXAMINED:
            raise _beyond(examined)
        items = matches
    else:
        matches.sort(key=sort_key(q.order_by), reverse=q.descending)
        items = matches[skip:skip + want]
    if q.unfiltered:
        total, exact = max(store.count(part), found), True
    else:
        total, exact = found, exhausted
    return Page(items, total, exact)
