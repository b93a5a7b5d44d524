"""Paths are read once: the account, gateway and provider segments and the provider path are
all taken from one split of the raw path, each segment decoded once, so an encoded `/` can
never move where one ends and the next begins."""

from __future__ import annotations

import pytest

from tests.fakes import credentials as keys
from tests.functional.inference_support import assert_gateway_error

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
AUTH = {"authorization": f"Bearer {keys.OPENAI_KEY}"}


@pytest.mark.parametrize(("path", "code"), [
    ("/v1/{a}/gw%2Fopenai/chat/completions", 2001),
    ("/v1/{a}/gw%2fopenai/chat/completions", 2001),
    ("/v1/{a}%2Fgw/openai/chat/completions", 2001),
    ("/v1/{a}/gw/open%2Fai/chat/completions", 2008),
    ("/v1/{a}/gw%2Fopenai", 2001),
])
def test_encoded_slash_in_a_name_segment_is_that_segment(inference, account, gateway, oai, path,
                                                         code):
    resp = inference.post(path.format(a=account), json=CHAT, headers=AUTH)
    assert_gateway_error(resp, 400, code)
    assert oai.recorder.requests == []


def test_the_same_request_without_encoding_goes_through(inference, account, gateway, oai):
    resp = inference.post(f"/v1/{account}/gw/openai/chat/completions", json=CHAT, headers=AUTH)
    assert resp.status_code == 200, resp.text
    assert oai.recorder.last.path == "/v1/chat/completions"


def test_compat_reads_the_gateway_from_the_raw_path(compat, account, gateway, oai):
    resp = compat.post(f"/v1/{account}%2Fgw/compat/chat/completions",
                       json={**CHAT, "model": "openai/gpt-4o-mini"}, headers=AUTH)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == 2001, resp.text
    assert oai.recorder.requests == []
