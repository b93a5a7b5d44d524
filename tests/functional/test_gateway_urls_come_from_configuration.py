"""`GET /gateways/{id}/url/{provider}` builds URLs from configuration (or API Gateway's own
request context), never from a forged `Host` / `X-Forwarded-Proto`."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from aigw.management.gateways import public_base_url
from tests.functional.inference_support import api, make_gateway


@pytest.fixture
def made(management, account, admin_headers) -> str:
    make_gateway(management, account, admin_headers)
    return api(account, "/gateways/gw/url/openai")


@pytest.mark.parametrize("host", ["evil.example/x?", "javascript:alert(1)", "a b", "<x>",
                                  "evil.example:99999999", "user@evil.example"])
def test_a_forged_host_is_refused(management, made, admin_headers, host):
    resp = management.get(made, headers={**admin_headers, "host": host})
    assert resp.status_code == 400 and resp.json()["errors"][0]["code"] == 7001
    assert "javascript" not in resp.text and "evil" not in resp.text


def test_a_forged_scheme_is_never_used(management, made, admin_headers, account):
    resp = management.get(made, headers={**admin_headers, "x-forwarded-proto": "javascript"})
    assert resp.status_code == 200
    assert resp.json()["result"] == f"http://testserver/v1/{account}/gw/openai"


def test_the_configured_base_url_wins(management, made, admin_headers, account, gateway_env):
    gateway_env.set("AIGW_PUBLIC_BASE_URL", "https://ai.example.com/")
    resp = management.get(made, headers={**admin_headers, "host": "evil.example"})
    assert resp.json()["result"] == f"https://ai.example.com/v1/{account}/gw/openai"


def test_deployed_uses_api_gateways_domain_and_stage_not_the_host_header(gateway_env):
    gateway_env.unset("AIGW_PUBLIC_BASE_URL")
    event = {"requestContext": {"domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                                "stage": "v0"}}
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": b"",
             "headers": [(b"host", b"evil.example"), (b"x-forwarded-proto", b"javascript")],
             "scheme": "https", "server": ("evil.example", 443), "aws.event": event}
    assert public_base_url(Request(scope)) == \
        "https://abc123.execute-api.us-east-1.amazonaws.com/v0"
