"""How write-only values (provider keys, custom-provider header values) are kept out of answers.

A preview lets a person recognise a key without the response being useful to anyone who reads
it: at most an eighth of the value at each end (never more than four characters), and nothing at
all for short values.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from aigw.errors import ValidationFailed
from aigw.validation import parse_json_object, validate

MASK = "****"
M = TypeVar("M", bound=BaseModel)


def secret_preview(value: str) -> str:
    shown = min(4, len(value) // 8)
    return f"{value[:shown]}{MASK}{value[-shown:]}" if shown else MASK


def validate_secret_body(model: type[M], raw: bytes) -> M:
    """`validate(model, parse_json_object(raw))` for bodies that carry secrets.

    The 7001 error keeps its paths and messages but loses its chained cause (the pydantic or JSON
    error), whose text or attributes quote the input: nothing renders the chain today, and this
    keeps a future traceback log from printing a secret.
    """
    try:
        return validate(model, parse_json_object(raw))
    except ValidationFailed as e:
        e.__cause__ = None
        e.__context__ = None
        e.__suppress_context__ = True
        raise e from None
