"""OpenAI-shaped providers: pure data, one row each, served by the same code paths.

Passthrough appends the client's path to `base_url`; compat posts the OpenAI body (with the
model name rewritten) to `base_url + chat_path`.
"""

from __future__ import annotations

from aigw.providers.spec import Provider

OPENAI_LIKE: tuple[Provider, ...] = (
    Provider("openai", "https://api.openai.com/v1"),
    Provider("groq", "https://api.groq.com/openai/v1"),
    Provider("mistral", "https://api.mistral.ai", chat_path="/v1/chat/completions",
             embeddings_path="/v1/embeddings"),
    Provider("deepseek", "https://api.deepseek.com", embeddings_path=None),
    Provider("openrouter", "https://openrouter.ai/api", chat_path="/v1/chat/completions",
             embeddings_path="/v1/embeddings"),
    Provider("perplexity-ai", "https://api.perplexity.ai", embeddings_path=None),
    Provider("grok", "https://api.x.ai", chat_path="/v1/chat/completions",
             embeddings_path="/v1/embeddings"),
    Provider("cerebras", "https://api.cerebras.ai", chat_path="/v1/chat/completions",
             embeddings_path=None),
    # Passthrough only: their native APIs are not OpenAI chat.
    Provider("huggingface", "https://api-inference.huggingface.co/models", compat=False),
    Provider("replicate", "https://api.replicate.com/v1", compat=False),
)
