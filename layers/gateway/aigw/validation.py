"""Turns request bodies and query strings into typed values, or a 7001 error naming every field.

Pydantic models in strict mode do the checking (`"true"` is not a boolean, `1.5` is not an
integer); this module only translates their complaints into the Cloudflare error shape.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from aigw.errors import FieldProblem, validation_failed
from aigw.json_input import parse_json

M = TypeVar("M", bound=BaseModel)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise validation_failed([FieldProblem([], "request body is empty; expected a JSON object")])
    try:
        data = parse_json(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise validation_failed([FieldProblem([], f"malformed JSON body ({e})")]) from e
    if not isinstance(data, dict):
        raise validation_failed([FieldProblem([], "expected a JSON object")])
    return data


def problems_from(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldProblem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = [*prefix, *err["loc"]]
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "field required"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        out.append(FieldProblem(loc, msg))
    return out


def validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise validation_failed(problems_from(e)) from e


def query_int(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as e:
        raise validation_failed([FieldProblem([name], f"must be an integer, got {raw!r}")]) from e
    if not low <= value <= high:
        raise validation_failed([FieldProblem([name], f"must be between {low} and {high}")])
    return value
