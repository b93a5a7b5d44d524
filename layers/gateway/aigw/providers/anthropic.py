"""Anthropic Messages API: `x-api-key` auth and a default `anthropic-version`."""

from __future__ import annotations

from aigw.providers.anthropic_chat import ANTHROPIC_CHAT
from aigw.providers.spec import AuthScheme, Provider
from aigw.providers.usage_readers import ANTHROPIC_USAGE

ANTHROPIC = Provider(
    "anthropic", "https://api.anthropic.com",
    auth=AuthScheme(header="x-api-key", prefix="", client_headers=("x-api-key", "authorization"),
                    default_headers=(("anthropic-version", "2023-06-01"),)),
    chat=ANTHROPIC_CHAT,
    embeddings_path=None,
    usage=ANTHROPIC_USAGE,
    prices="anthropic",
)
