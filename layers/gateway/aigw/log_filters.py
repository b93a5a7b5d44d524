"""The logs API's query language: parameters, filters, ordering — parsed once, matched in Python.

Spec section 4 ("Logs API"). `filters` arrive in two serialisations, both accepted:

- as `filters.key=..&filters.operator=..&filters.value=..` parameters. In order, one group per
  filter (a new `filters.key` opens the next filter, several `filters.value` in a group are its
  values); or grouped by name, which is what the `cloudflare` SDK 5.x actually puts on the wire
  (its query dict becomes `filters.key=a&filters.key=b&filters.operator=..&filters.value=..`):
  then the i-th key, operator and value form the i-th filter, and a single filter takes every
  value. Several filters with several values each cannot be told apart in that form: 7001,
  asking for the JSON form;
- as a JSON array in one `filters` parameter: `filters=[{"key":..,"operator":..,"value":[..]}]`.

Values in one filter are OR'd, filters are AND'ed, and the flat parameters (`success`, `provider`,
`min_cost`, ...) are just more filters. `contains` is a case-insensitive substring test; `lt`/`gt`
compare numbers for numeric keys, instants for `created_at`, and strings otherwise (`id` is
time-sortable, so `id lt X` means "older than X"). A bad key, operator or value is a 7001 naming
the parameter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aigw.errors import FieldProblem, validation_failed
from aigw.validation import query_int

#: The spec's operators, plus the inclusive bounds the flat `min_*` / `max_*` parameters become.
Operator = Literal["eq", "neq", "contains", "lt", "gt", "lte", "gte"]
OPERATORS = ("eq", "neq", "contains", "lt", "gt")
BOOL_KEYS = frozenset({"success", "cached", "authentication", "wholesale", "compatibilityMode"})
NUMBER_KEYS = frozenset({"cost", "tokens", "tokens_in", "tokens_out", "duration", "feedback"})
STRING_KEYS = frozenset({"id", "request_content_type", "response_content_type", "request_type",
                         "provider", "model", "model_type", "event_id", "metadata.key",
                         "metadata.value", "dlp_action", "user_agent"})
FILTER_KEYS = BOOL_KEYS | NUMBER_KEYS | STRING_KEYS | {"created_at"}
#: order_by values: the spec's six plus aigw's numeric ones.
ORDER_KEYS = ("created_at", "provider", "model", "model_type", "success", "cached", "cost",
              "tokens_in", "tokens_out", "duration", "feedback")
#: Flat `min_*` / `max_*` parameters and the key they bound.
RANGE_PARAMS = {"cost": "cost", "duration": "duration", "tokens_in": "tokens_in",
                "tokens_out": "tokens_out", "total_tokens": "tokens"}
FLAT_EQ = ("success", "cached", "provider", "model", "model_type", "request_content_type",
           "response_content_type", "feedback")


@dataclass(frozen=True)
class Filter:
    key: str
    operator: Operator
    values: tuple[Any, ...]


@dataclass
class LogQuery:
    filters: list[Filter] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    search: str | None = None
    order_by: str = "created_at"
    descending: bool = True
    page: int = 1
    per_page: int = 20

    @property
    def unfiltered(self) -> bool:
        return not self.filters and self.start is None and self.end is None and not self.search


def _bad(param: str, message: str) -> Exception:
    return validation_failed([FieldProblem([param], message)])


def parse_instant(raw: str, param: str) -> datetime:
    """ISO 8601 (a trailing `Z` allowed; no zone means UTC)."""
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as e:
        raise _bad(param, f"must be an ISO 8601 date-time, got {raw!r}") from e
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _coerce(key: str, raw: Any, param: str) -> Any:
    if raw is None:
        return None
    if key in BOOL_KEYS:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text not in ("true", "false", "1", "0"):
            raise _bad(param, f"{key} takes true or false, got {raw!r}")
        return text in ("true", "1")
    if key in NUMBER_KEYS:
        try:
            return float(raw)
        except (TypeError, ValueError) as e:
            raise _bad(param, f"{key} takes numbers, got {raw!r}") from e
    if key == "created_at":
        return parse_instant(str(raw), param)
    return str(raw)


def make_filter(key: Any, operator: Any, values: Sequence[Any], param: str = "filters") -> Filter:
    if key not in FILTER_KEYS:
        raise _bad(param, f"unknown filter key {key!r}")
    if operator not in OPERATORS:
        raise _bad(param, f"operator must be one of {', '.join(OPERATORS)}, got {operator!r}")
    if not values:
        raise _bad(param, f"filter on {key} has no value")
    if operator in ("lt", "gt") and key in BOOL_KEYS:
        raise _bad(param, f"{operator} does not apply to {key}")
    return Filter(key, operator, tuple(_coerce(key, v, param) for v in values))


def _json_filters(raw: str) -> list[Filter]:
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise _bad("filters", "must be a JSON array of {key, operator, value}") from e
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise _bad("filters", "must be a JSON array of {key, operator, value}")
    out = []
    for item in data:
        if not isinstance(item, dict):
            raise _bad("filters", "each filter is an object {key, operator, value}")
        values = item.get("value")
        values = values if isinstance(values, list) else [values]
        out.append(make_filter(item.get("key"), item.get("operator"), values))
    return out


def _grouped_filters(pairs: Sequence[tuple[str, str]]) -> list[Filter]:
    """`filters.key` / `filters.operator` / `filters.value` parameters (see the module doc)."""
    if not pairs:
        return []
    for name, _ in pairs:
        if name not in ("filters.key", "filters.operator", "filters.value"):
            raise _bad(name, "unknown filters field")
    # In order: each `filters.key` opens a group holding one operator and its values.
    groups: list[dict[str, Any]] = []
    for name, value in pairs:
        part = name[len("filters."):]
        if part == "key":
            groups.append({"key": value, "operator": [], "value": []})
        elif groups:
            groups[-1][part].append(value)
    if pairs[0][0] == "filters.key" and all(len(g["operator"]) == 1 and g["value"]
                                           for g in groups):
        return [make_filter(g["key"], g["operator"][0], g["value"]) for g in groups]
    # Grouped by name, as the SDK's httpx client sends them: the i-th key, operator and value
    # belong together; a lone filter takes every value.
    keys = [v for k, v in pairs if k == "filters.key"]
    ops = [v for k, v in pairs if k == "filters.operator"]
    vals = [v for k, v in pairs if k == "filters.value"]
    if len(ops) != len(keys):
        raise _bad("filters", "each filter needs one key and one operator")
    if len(keys) == 1:
        return [make_filter(keys[0], ops[0], vals)]
    if len(vals) != len(keys):
        raise _bad("filters", "several filters sent as filters.key/operator/value need one "
                              "value each; send several values as a JSON array in `filters`")
    return [make_filter(k, o, [v]) for k, o, v in zip(keys, ops, vals, strict=True)]


def parse_log_query(pairs: Sequence[tuple[str, str]], max_per_page: int = 50,
                    default_per_page: int = 20) -> LogQuery:
    """The list (or delete) parameters of the logs API, validated (7001 on the first problem)."""
    params = {k: v for k, v in pairs}
    q = LogQuery(page=query_int(params, "page", 1, 1, 1_000_000),
                 per_page=query_int(params, "per_page", default_per_page, 1, max_per_page))
    filters: list[Filter] = []
    for name in FLAT_EQ:
        if params.get(name, "") != "":
            filters.append(make_filter(name, "eq", [params[name]], name))
    for suffix, key in RANGE_PARAMS.items():
        for bound, op in (("min", "gt"), ("max", "lt")):
            name = f"{bound}_{suffix}"
            if params.get(name, "") != "":
                # min/max are inclusive bounds.
                f = make_filter(key, op, [params[name]], name)
                filters.append(Filter(key, "gte" if op == "gt" else "lte", f.values))
    grouped = [(k, v) for k, v in pairs if k.startswith("filters.")]
    filters.extend(_grouped_filters(grouped))
    for k, v in pairs:
        if k in ("filters", "filters[]") and v.strip():
            filters.extend(_json_filters(v))
    q.filters = filters
    if params.get("start_date"):
        q.start = parse_instant(params["start_date"], "start_date")
    if params.get("end_date"):
        q.end = parse_instant(params["end_date"], "end_date")
    q.search = (params.get("search") or "").strip().lower() or None
    order_by = params.get("order_by") or "created_at"
    if order_by not in ORDER_KEYS:
        raise _bad("order_by", f"must be one of {', '.join(ORDER_KEYS)}")
    q.order_by = order_by
    direction = params.get("order_by_direction") or params.get("direction") or "desc"
    if direction not in ("asc", "desc"):
        raise _bad("order_by_direction", "must be asc or desc")
    q.descending = direction == "desc"
    return q


# ---------------------------------------------------------------- matching


def field_value(doc: dict[str, Any], key: str) -> Any:
    """The value a filter or ordering key reads from a stored log document."""
    if key == "tokens":
        tin, tout = doc.get("tokens_in"), doc.get("tokens_out")
        return None if tin is None and tout is None else (tin or 0) + (tout or 0)
    if key == "compatibilityMode":
        return doc.get("request_type") == "compat"
    if key == "created_at":
        raw = doc.get("created_at")
        return parse_instant(raw, "created_at") if raw else None
    return doc.get(key)


def _one(op: str, actual: Any, wanted: Any) -> bool:
    if op == "eq":
        if isinstance(actual, (int, float)) and isinstance(wanted, float) \
                and not isinstance(actual, bool):
            return float(actual) == wanted
        return actual == wanted
    if op == "contains":
        return actual is not None and wanted is not None \
            and str(wanted).lower() in str(actual).lower()
    if actual is None or wanted is None:
        return False
    try:
        if op == "lt":
            return bool(actual < wanted)
        if op == "gt":
            return bool(actual > wanted)
        if op == "lte":
            return bool(actual <= wanted)
        if op == "gte":
            return bool(actual >= wanted)
    except TypeError:
        return False
    return False


def _metadata(doc: dict[str, Any]) -> dict[str, Any]:
    meta = doc.get("metadata")
    return meta if isinstance(meta, dict) else {}


def matches_filter(doc: dict[str, Any], f: Filter) -> bool:
    if f.key in ("metadata.key", "metadata.value"):
        meta = _metadata(doc)
        candidates = [str(k) for k in meta] if f.key == "metadata.key" \
            else [str(v).lower() if isinstance(v, bool) else str(v) for v in meta.values()]
        if f.operator == "neq":
            return all(c != w for c in candidates for w in f.values)
        return any(_one(f.operator, c, w) for c in candidates for w in f.values)
    actual = field_value(doc, f.key)
    if f.operator == "neq":
        return all(not _one("eq", actual, w) for w in f.values)
    return any(_one(f.operator, actual, w) for w in f.values)


def matches_search(doc: dict[str, Any], needle: str) -> bool:
    hay = [doc.get("model"), doc.get("provider"), doc.get("path"),
           *(f"{k}={v}" for k, v in _metadata(doc).items())]
    return any(needle in str(h).lower() for h in hay if h is not None)


def predicate(q: LogQuery) -> Callable[[dict[str, Any]], bool]:
    def test(doc: dict[str, Any]) -> bool:
        if q.search and not matches_search(doc, q.search):
            return False
        return all(matches_filter(doc, f) for f in q.filters)
    return test


def sort_key(order_by: str) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """Orders documents by `order_by`, nulls first ascending (last descending), then by id."""
    def key(doc: dict[str, Any]) -> tuple[Any, ...]:
        value = doc.get(order_by) if order_by != "created_at" else doc.get("id")
        if isinstance(value, bool):
            value = int(value)
        return (value is not None, value if value is not None else 0, doc.get("id", ""))
    return key
