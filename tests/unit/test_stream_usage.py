"""Asking OpenAI-shaped streams for usage without the client seeing any difference."""

from __future__ import annotations

import asyncio
import json

import pytest

from aigw.providers.registry import PROVIDERS
from aigw.stream_usage import ask_for_usage, hide_usage

OPENAI = PROVIDERS["openai"]


def test_the_option_is_inserted_and_every_client_byte_kept():
    body = b'{"model": "gpt-4o", "stream": true, "messages": []}'
    asked = ask_for_usage(OPENAI, "/chat/completions", body)
    assert asked == b'{"stream_options":{"include_usage":true},' + body[1:]
    assert json.loads(asked)["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize(("path", "body"), [
    ("/chat/completions", b'{"model":"m","stream":false}'),
    ("/chat/completions", b'{"model":"m"}'),
    ("/chat/completions", b'{"stream":true,"stream_options":{"include_usage":true}}'),
    ("/embeddings", b'{"stream":true}'),
    ("/chat/completions", b'not json "stream"'),
])
def test_requests_that_need_nothing_are_sent_as_they_are(path, body):
    assert ask_for_usage(OPENAI, path, body) is None


def test_providers_not_known_to_accept_the_option_are_not_asked():
    assert ask_for_usage(PROVIDERS["mistral"], "/v1/chat/completions",
                         b'{"stream":true}') is None


def test_existing_stream_options_are_kept():
    asked = ask_for_usage(OPENAI, "/chat/completions",
                          b'{"stream":true,"stream_options":{"include_obfuscation":false}}')
    assert asked is not None and json.loads(asked)["stream_options"] == {
        "include_obfuscation": False, "include_usage": True}


async def _chunks(data: bytes, size: int):  # noqa: ANN202
    for i in range(0, len(data), size):
        yield data[i:i + size]


def _chunk(content: str, usage_null: bool) -> str:
    base = (f'{{"id":"c1","object":"chat.completion.chunk","choices":[{{"index":0,'
            f'"delta":{{"content":{json.dumps(content)}}}}}]')
    return base + (',"usage":null,"obfuscation":"x1"}' if usage_null else ',"obfuscation":"x1"}')


@pytest.mark.parametrize("size", [1, 7, 100, 100_000])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_the_client_gets_the_stream_it_would_have_had(size, newline):
    usage = '{"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":1}}'
    tricky = 'say ,"usage":null} please'  # the member's text inside content is left alone

    def stream(with_usage: bool) -> bytes:
        events = [_chunk("hi", with_usage), _chunk(tricky, with_usage)]
        if with_usage:
            events.append(usage)
        return "".join(f"data: {e}{newline}{newline}" for e in
                       [*events, "[DONE]"]).encode()

    async def run() -> bytes:
        return b"".join([c async for c in hide_usage(_chunks(stream(True), size))])
    assert asyncio.run(run()) == stream(False)
