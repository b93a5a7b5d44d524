"""Cohere v2 API: Bearer auth."""

from __future__ import annotations

from aigw.providers.cohere_chat import COHERE_CHAT
from aigw.providers.cohere_embed import COHERE_EMBEDDINGS
from aigw.providers.spec import Provider
from aigw.providers.usage_readers import COHERE_USAGE

COHERE = Provider("cohere", "https://api.cohere.com", chat=COHERE_CHAT,
                  embeddings=COHERE_EMBEDDINGS, usage=COHERE_USAGE, prices="cohere")
