"""MongoDB-style conditions of a `conditional` route element: a parser and an evaluator, no eval.

The grammar (Cloudflare's dynamic-routing docs; spec section 4, "Dynamic route elements"):

    condition   := { clause, ... }                    every clause must hold (implicit $and)
    clause      := "$and": [condition, ...]  |  "$or": [condition, ...]
                 | "<field>": { "$op": operand, ... }  every operator must hold
                 | "<field>": literal                  shorthand for {"$eq": literal}
    $op         := $eq $ne $gt $gte $lt $lte (a literal), $in $nin (a list), $exists (a bool)
    literal     := string | number | bool | null

A field is a dotted path into the request's *facts* (see `RequestFacts`): `metadata.<key>` (the
`cf-aig-metadata` header, else the body's own `metadata` object), `headers.<name>` (lower-cased,
values are strings) and any other path into the JSON body (`max_tokens`, `user`,
`messages.0.role`; a number segment indexes a list; `body.` may prefix a body path).

Comparison follows MongoDB's type brackets: numbers compare with numbers (booleans are not
numbers), strings with strings; a comparison across brackets or with a missing field is false.
`$eq: null` matches a missing or null field, `$ne` matches a missing one. Arrays are compared as
whole values (no element-wise matching).

`parse` raises `ConditionError` naming the JSON path of the first problem; `evaluate` never
raises on request data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = ["Condition", "ConditionError", "RequestFacts", "parse", "evaluate"]

COMPARISONS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})
SETS = frozenset({"$in", "$nin"})
OPERATORS = COMPARISONS | SETS | {"$exists"}
LOGICAL = frozenset({"$and", "$or"})
MAX_DEPTH = 16
MAX_SET = 256
_MISSING = object()


class ConditionError(ValueError):
    """A condition that does not parse. `path` is where, relative to `conditions`."""

    def __init__(self, message: str, path: Sequence[str | int] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = list(path)


@dataclass(frozen=True)
class FieldTest:
    """`field` passes every `(operator, operand)` test."""

    path: tuple[str, ...]
    tests: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


Condition: TypeAlias = FieldTest | AllOf | AnyOf


@dataclass
class RequestFacts:
    """What a condition (or a `rate` key) can read from a request."""

    body: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def lookup(self, path: Sequence[str]) -> Any:
        """The value at `path`, or the module's `_MISSING` marker."""
        head, rest = path[0], path[1:]
        if head == "metadata" and rest:
            value = self.metadata.get(rest[0], _MISSING)
            if value is not _MISSING:
                return _walk(value, rest[1:])
            return _walk(self.body.get("metadata", _MISSING), rest)
        if head == "headers" and len(rest) == 1:
            return self.headers.get(rest[0].lower(), _MISSING)
        if head == "body" and rest:
            return _walk(self.body, rest)
        return _walk(self.body, path)

    def text(self, path: Sequence[str]) -> str | None:
        """The value at `path` as a string (a `rate` node's key), None when absent."""
        value = self.lookup(path)
        if value is _MISSING or value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else repr(value)


def _walk(value: Any, path: Sequence[str]) -> Any:
    for segment in path:
        if isinstance(value, Mapping):
            value = value.get(segment, _MISSING)
        elif isinstance(value, list) and segment.isdigit() and int(segment) < len(value):
            value = value[int(segment)]
        else:
            return _MISSING
    return value


def parse_field(name: object, where: Sequence[str | int] = ()) -> tuple[str, ...]:
    """A dotted field name as a path; refuses empty segments and operator-looking names."""
    if not isinstance(name, str) or not name or len(name) > 256:
        raise ConditionError("a field name must be a non-empty string of at most 256 characters",
                             where)
    parts = tuple(name.split("."))
    if any(not p for p in parts):
        raise ConditionError(f"field '{name}' has an empty path segment", where)
    if parts[0].startswith("$"):
        raise ConditionError(f"unknown operator '{parts[0]}' (logical operators are $and, $or)",
                             where)
    if parts[0] in ("metadata", "body") and len(parts) < 2:
        raise ConditionError(f"field '{name}' must name a key, e.g. '{parts[0]}.plan'", where)
    if parts[0] == "headers" and len(parts) != 2:
        raise ConditionError(f"field '{name}' must be 'headers.<name>'", where)
    return parts


def _is_literal(value: object) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return value is None or isinstance(value, (str, int, float, bool))


def parse(conditions: object) -> Condition:
    """The parsed condition; raises `ConditionError` (with a path) on anything malformed."""
    return _parse_doc(conditions, [], 0)


def _parse_doc(doc: object, where: list[str | int], depth: int) -> Condition:
    if depth > MAX_DEPTH:
        raise ConditionError(f"conditions nest deeper than {MAX_DEPTH} levels", where)
    if not isinstance(doc, Mapping):
        raise ConditionError("a condition must be an object", where)
    if not doc:
        raise ConditionError("a condition must have at least one clause", where)
    parts: list[Condition] = []
    for key, value in doc.items():
        here = [*where, key]
        if key in LOGICAL:
            if not isinstance(value, list) or not value:
                raise ConditionError(f"{key} takes a non-empty list of conditions", here)
            subs = tuple(_parse_doc(v, [*here, i], depth + 1) for i, v in enumerate(value))
            parts.append(AllOf(subs) if key == "$and" else AnyOf(subs))
        else:
            parts.append(_parse_field_test(key, value, here))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _parse_field_test(name: str, spec: object, here: list[str | int]) -> FieldTest:
    path = parse_field(name, here)
    if not isinstance(spec, Mapping) or not any(str(k).startswith("$") for k in spec):
        if not _is_literal(spec):
            raise ConditionError(f"field '{name}' must be compared with a string, number, bool "
                                 "or null, or an object of operators", here)
        return FieldTest(path, (("$eq", spec),))
    if not spec:
        raise ConditionError(f"field '{name}' has no operator", here)
    tests = []
    for op, operand in spec.items():
        at = [*here, op]
        if op not in OPERATORS:
            raise ConditionError(f"unknown operator '{op}' (use one of "
                                 f"{', '.join(sorted(OPERATORS))})", at)
        if op in SETS:
            if not isinstance(operand, list) or len(operand) > MAX_SET or not all(
                    _is_literal(v) for v in operand):
                raise ConditionError(f"{op} takes a list of at most {MAX_SET} strings, numbers, "
                                     "bools or nulls", at)
            operand = tuple(operand)
        elif op == "$exists":
            if not isinstance(operand, bool):
                raise ConditionError("$exists takes true or false", at)
        elif not _is_literal(operand):
            raise ConditionError(f"{op} takes a string, number, bool or null", at)
        elif op not in ("$eq", "$ne") and (operand is None or isinstance(operand, bool)):
            raise ConditionError(f"{op} compares numbers or strings", at)
        tests.append((op, operand))
    return FieldTest(path, tuple(tests))


def evaluate(condition: Condition, facts: RequestFacts) -> bool:
    """Whether the request described by `facts` satisfies `condition`."""
    if isinstance(condition, AllOf):
        return all(evaluate(c, facts) for c in condition.parts)
    if isinstance(condition, AnyOf):
        return any(evaluate(c, facts) for c in condition.parts)
    value = facts.lookup(condition.path)
    return all(_test(op, operand, value) for op, operand in condition.tests)


def _bracket(value: Any) -> str:
    if value is None or value is _MISSING:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def _equal(a: Any, b: Any) -> bool:
    bracket = _bracket(a)
    return bracket == _bracket(b) and (bracket == "null" or a == b)


def _test(op: str, operand: Any, value: Any) -> bool:
    if op == "$exists":
        return (value is not _MISSING) is operand
    if op == "$eq":
        return _equal(value, operand)
    if op == "$ne":
        return not _equal(value, operand)
    if op == "$in":
        return any(_equal(value, o) for o in operand)
    if op == "$nin":
        return not any(_equal(value, o) for o in operand)
    if _bracket(value) != _bracket(operand) or _bracket(value) not in ("number", "string"):
        return False
    if op == "$gt":
        return bool(value > operand)
    if op == "$gte":
        return bool(value >= operand)
    if op == "$lt":
        return bool(value < operand)
    return bool(value <= operand)
