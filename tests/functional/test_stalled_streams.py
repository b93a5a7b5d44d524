"""Bounded waits on streams: a stream that stalls after its first event ends with the surface's
stream error after the idle timeout, while `cf-aig-request-timeout` (time to first byte) never
cuts a stream whose chunks keep coming."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from tests.fakes import credentials as keys
from tests.fakes.upstream_server import serve_in_thread
from tests.functional.inference_support import gw_path

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}],
        "stream": True}
AUTH = {"authorization": f"Bearer {keys.OPENAI_KEY}"}


def event(text: str) -> bytes:
    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return f"data: {json.dumps(chunk)}\n\n".encode()


def streaming_app(gap_s: float, stall_after: int | None) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat() -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            for i in range(3):
                if stall_after is not None and i == stall_after:
                    await asyncio.sleep(30)
                yield event(f"part{i}")
                await asyncio.sleep(gap_s)
            yield b"data: [DONE]\n\n"

        return StreamingResponse(body(), media_type="text/event-stream")

    return app


@pytest.fixture
def upstream(request, gateway_env) -> Iterator[None]:
    gap, stall = request.param
    server = serve_in_thread(streaming_app(gap, stall))
    gateway_env.set("AIGW_UPSTREAM_OPENAI", f"{server.base_url}/v1")
    gateway_env.set("AIGW_IDLE_TIMEOUT_SECONDS", "0.5")
    yield
    server.stop()


@pytest.mark.parametrize("upstream", [(0.05, 1)], indirect=True)
def test_compat_stream_that_stalls_ends_with_an_error_event(compat, account, gateway, upstream):
    resp = compat.post(f"/v1/{account}/gw/compat/chat/completions",
                       json={**CHAT, "model": "openai/gpt-4o-mini"}, headers=AUTH)
    assert resp.status_code == 200
    text = resp.text
    assert "part0" in text and "part1" not in text and "[DONE]" not in text
    last = [line for line in text.splitlines() if line.startswith("data: ")][-1]
    error = json.loads(last[6:])["error"]
    assert error["code"] == 504 and "stalled" in error["message"]


@pytest.mark.parametrize("upstream", [(0.05, 1)], indirect=True)
def test_passthrough_stream_that_stalls_is_cut_not_completed(inference, account, gateway,
                                                             upstream, capsys):
    capsys.readouterr()
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers=AUTH)
    assert "part0" in resp.text and "[DONE]" not in resp.text
    records = [json.loads(line)["aigw_log"] for line in capsys.readouterr().out.splitlines()
               if '"aigw_log"' in line]
    assert len(records) == 1 and records[0]["success"] is False
    assert records[0]["error_code"] == 2006


@pytest.mark.parametrize("upstream", [(0.3, None)], indirect=True)
def test_request_timeout_bounds_the_first_byte_not_the_gaps(inference, account, gateway,
                                                            upstream):
    resp = inference.post(gw_path(account, "openai", "/chat/completions"), json=CHAT,
                          headers={**AUTH, "cf-aig-request-timeout": "200"})
    assert resp.status_code == 200
    assert all(f"part{i}" in resp.text for i in range(3)) and "[DONE]" in resp.text
