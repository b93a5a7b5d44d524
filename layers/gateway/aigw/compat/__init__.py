"""The compat function: one OpenAI-compatible API over every provider."""
