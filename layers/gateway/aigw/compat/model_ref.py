"""Compat `model` values: `{provider}/{model}`, e.g. `anthropic/claude-sonnet-4-5`."""

from __future__ import annotations

from dataclasses import dataclass

from aigw.errors import InvalidRequest


@dataclass(frozen=True)
class ModelRef:
    provider: str
    model: str


def parse_model(value: object) -> ModelRef:
    if not isinstance(value, str) or not value:
        raise InvalidRequest("'model' is required: use '{provider}/{model}', "
                             "e.g. 'openai/gpt-5-mini'", param="model")
    provider, sep, model = value.partition("/")
    if not sep or not provider or not model:
        raise InvalidRequest(f"model '{value[:100]}' has no provider prefix: use "
                             "'{provider}/{model}', e.g. 'openai/gpt-5-mini'", param="model")
    return ModelRef(provider, model)
