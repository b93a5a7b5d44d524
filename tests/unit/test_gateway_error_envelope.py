"""The data-plane error body is spec section 5's envelope (issue 9, closing paragraph)."""

from __future__ import annotations

import pytest

from aigw.errors import AuthenticationFailed, GatewayError, InvalidRequest, RateLimited
from aigw.web.errors import error_body


@pytest.mark.parametrize("err", [InvalidRequest("no such provider"),
                                 AuthenticationFailed("bad token"),
                                 RateLimited("slow down"), GatewayError("Internal gateway error")])
def test_gateway_errors_carry_name_http_code_and_internal_code(err: GatewayError) -> None:
    assert error_body(err, "gateway") == {
        "success": False, "result": [], "messages": [],
        "error": [{"code": err.code, "message": err.message}],
        "name": "AiGatewayError", "httpCode": err.status, "internalCode": err.code}


def test_compat_keeps_the_openai_shape() -> None:
    body = error_body(InvalidRequest("bad", param="model"), "openai")
    assert set(body) == {"error"} and body["error"]["param"] == "model"
