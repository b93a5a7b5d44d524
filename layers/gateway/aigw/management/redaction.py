"""How write-only values (provider keys, custom-provider header values) are shown back.

A preview lets a person recognise a key without the response being useful to anyone who reads
it: at most an eighth of the value at each end (never more than four characters), and nothing at
all for short values.
"""

from __future__ import annotations

from aigw.errors import ValidationFailed

MASK = "****"


def secret_preview(value: str) -> str:
    shown = min(4, len(value) // 8)
    return f"{value[:shown]}{MASK}{value[-shown:]}" if shown else MASK


def without_secret_context(err: ValidationFailed) -> ValidationFailed:
    """The same 7001 error without its chained pydantic error, whose text quotes the input.

    Nothing renders the chain today; this keeps a future traceback log from printing a secret.
    """
    err.__cause__ = None
    err.__context__ = None
    err.__suppress_context__ = True
    return err
