"""Google AI Studio (Gemini API): `x-goog-api-key` auth, or the client's own `?key=`."""

from __future__ import annotations

from aigw.providers.gemini_chat import GOOGLE_AI_STUDIO_CHAT
from aigw.providers.gemini_embed import GOOGLE_AI_STUDIO_EMBEDDINGS
from aigw.providers.spec import AuthScheme, Provider
from aigw.providers.usage_readers import GEMINI_USAGE

GOOGLE_AI_STUDIO = Provider(
    "google-ai-studio", "https://generativelanguage.googleapis.com",
    auth=AuthScheme(header="x-goog-api-key", prefix="",
                    client_headers=("x-goog-api-key", "authorization"),
                    client_query_params=("key",)),
    chat=GOOGLE_AI_STUDIO_CHAT,
    embeddings=GOOGLE_AI_STUDIO_EMBEDDINGS,
    usage=GEMINI_USAGE,
    prices="google",
)
