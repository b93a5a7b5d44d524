"""OpenAI-shaped providers: pure data, one row each, served by the same code paths.

Passthrough appends the client's path to `base_url`; compat posts the OpenAI body (with the
model name rewritten) to `base_url + chat_path`.
"""

from __future__ import annotations

from aigw.providers.spec import Provider

OPENAI_LIKE: tuple[Provider, ...] = (
    Provider("openai", "https://api.openai.com/v1", prices="openai", stream_usage_option=True),
    Provider("groq", "https://api.groq.com/openai/v1", prices="groq", stream_usage_option=True),
    Provider("mistral", "https://api.mistral.ai", chat_path="/v1/chat/completions",
             embeddings_path="/v1/embeddings", prices="mistral"),
    Provider("deepseek", "https://api.deepseek.com", embeddings_path=None, prices="deepseek",
             stream_usage_option=True),
    Provider("openrouter", "https://openrouter.ai/api", chat_path="/v1/chat/completions",
             embeddings_path="/v1/embeddings", prices="openrouter", stream_usage_option=True),
    Provider("perplexity-ai", "https://api.perplexity.ai", embeddings_path=None,
             prices="perplexity"),
    Provider("grok", "https://api.x.ai", chat_path="/v1/chat/completions",
             embeddings_path="/v1/embeddings", prices="x-ai", stream_usage_option=True),
    Provider("cerebras", "https://api.cerebras.ai", chat_path="/v1/chat/completions",
             embeddings_path=None, prices="cerebras", stream_usage_option=True),
    # Passthrough only: their native APIs are not OpenAI chat.
    Provider("huggingface", "https://api-inference.huggingface.co/models", compat=False),
    Provider("replicate", "https://api.replicate.com/v1", compat=False),
)
