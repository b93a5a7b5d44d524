"""The stage's finish (charge, cache store, log record) runs before the answer's last chunk is
handed on: Lambda may freeze the process once the response has ended."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from aigw import pipeline
from aigw.config import Settings
from aigw.logs import LogRecord
from aigw.providers.registry import resolve_provider
from aigw.request_options import RequestOptions
from aigw.stores.counters import Window


def exchange() -> pipeline.Exchange:
    log = LogRecord(id="01TEST", created_at="2026-01-01T00:00:00Z")
    log.cost = 0.5
    return pipeline.Exchange(log, "acct", "gw", {}, RequestOptions(),
                             resolve_provider("openai", lambda slug: None), Settings(),
                             spend=[Window("spend/acct/gw/r", 60)])


def run_async(coro: Any) -> Any:
    """Like `asyncio.run`, without leaving the thread's event loop unset (Mangum tests that run
    later in the session ask for it)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


async def source(chunks: list[bytes]) -> AsyncGenerator[bytes, None]:
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


def run(answer: pipeline.Answer, events: list[str],
        monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    monkeypatch.setattr(pipeline, "charge_spend", lambda w, cost: events.append(f"charge {cost}"))
    monkeypatch.setattr(pipeline, "finish_record", lambda log, tail=b"": events.append(
        f"record tail={tail!r}"))

    async def consume() -> list[bytes]:
        out = []
        async for chunk in pipeline.finishing(exchange(), answer):
            events.append(f"sent {chunk!r}")
            out.append(chunk)
        return out

    return run_async(consume())


def test_plain_answer_finishes_before_its_last_chunk(monkeypatch):
    events: list[str] = []
    answer = pipeline.Answer(200, [], source([b"{\"a\":", b"1}"]))

    assert run(answer, events, monkeypatch) == [b"{\"a\":", b"1}"]
    assert events == ["sent b'{\"a\":'", "charge 0.5", "record tail=b'1}'", "sent b'1}'"]


def test_stream_finishes_before_done_without_holding_chunks_back(monkeypatch):
    events: list[str] = []
    chunks = [b"data: {\"x\":1}\n\n", b"data: {\"x\":2}\n\n", b"data: [DONE]\n\n"]
    answer = pipeline.Answer(200, [], source(chunks), stream=True)

    run(answer, events, monkeypatch)

    assert events == ["sent b'data: {\"x\":1}\\n\\n'", "sent b'data: {\"x\":2}\\n\\n'",
                      "charge 0.5", "record tail=b'data: [DONE]\\n\\n'",
                      "sent b'data: [DONE]\\n\\n'"]


def test_a_client_hanging_up_still_gets_charged_and_recorded_once(monkeypatch):
    events: list[str] = []
    monkeypatch.setattr(pipeline, "charge_spend", lambda w, cost: events.append("charge"))
    monkeypatch.setattr(pipeline, "finish_record", lambda log, tail=b"": events.append("record"))
    answer = pipeline.Answer(200, [], source([b"data: 1\n\n", b"data: 2\n\n"]), stream=True)

    async def hang_up() -> None:
        body = pipeline.finishing(exchange(), answer)
        await body.__anext__()
        await body.aclose()

    run_async(hang_up())
    assert events == ["charge", "record"]
