"""The one error family.

Every failure the gateway itself reports is a `GatewayError`: an HTTP status, a Cloudflare-style
numeric code, a message and whether a retry could help. Each surface renders them in one place
(`aigw.web.errors`): the Cloudflare gateway envelope on the data plane, the Cloudflare API
envelope on management, OpenAI's error shape on compat.

    GatewayError
    ├── InvalidRequest            400  (2008 unknown provider/model, 2040 unknown BYOK alias, ...)
    │   └── ValidationFailed      400  7001, carries field paths (management)
    ├── UnknownGateway            400  2001
    ├── AuthenticationFailed      401  2009 (data plane) / 10000 (management)
    ├── Forbidden                 403  10000
    ├── NotFound                  404  7002
    ├── MethodNotAllowed          405  10405
    ├── Conflict                  409  7003
    ├── RateLimited               429  2003 / 2041 (spend)
    ├── UpstreamError             502  connection failures          (retryable)
    │   └── UpstreamStreamError   502* the upstream failed after its stream started
    └── UpstreamTimeout           504  no first byte within timeout (retryable)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ErrorDetail:
    code: int
    message: str
    path: list[str | int] | None = None

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.path is not None:
            d["path"] = self.path
        return d


class GatewayError(Exception):
    status: int = 500
    code: int = 5000
    retryable: bool = False
    #: OpenAI error `type` used when this error is rendered on the compat surface.
    openai_type: str = "api_error"

    def __init__(self, message: str, *, code: int | None = None, status: int | None = None,
                 details: list[ErrorDetail] | None = None, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        #: Response headers this error adds (`Retry-After` on 429s), on every surface.
        self.headers = headers
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.param = param
        self.details = details or [ErrorDetail(self.code, message)]


class InvalidRequest(GatewayError):
    status, code, openai_type = 400, 2008, "invalid_request_error"


class ValidationFailed(InvalidRequest):
    code = 7001


class UnknownGateway(GatewayError):
    status, code, openai_type = 400, 2001, "invalid_request_error"


class AuthenticationFailed(GatewayError):
    status, code, openai_type = 401, 2009, "authentication_error"


class Forbidden(GatewayError):
    status, code, openai_type = 403, 10000, "permission_error"


class NotFound(GatewayError):
    status, code, openai_type = 404, 7002, "not_found_error"


class MethodNotAllowed(GatewayError):
    status, code, openai_type = 405, 10405, "invalid_request_error"


class Conflict(GatewayError):
    status, code, openai_type = 409, 7003, "invalid_request_error"


class PayloadTooLarge(GatewayError):
    """A request body over `AIGW_MAX_BODY_BYTES` (aigw.web.body_limit). Code 2013 is aigw's
    choice: Cloudflare documents none for it."""

    status, code, openai_type = 413, 2013, "invalid_request_error"


class RateLimited(GatewayError):
    status, code, openai_type = 429, 2003, "rate_limit_error"


class UpstreamError(GatewayError):
    status, code, retryable, openai_type = 502, 2005, True, "api_error"


class UpstreamStreamError(UpstreamError):
    """The upstream reported an error after its stream had started (HTTP 200 already sent).

    `status` and `openai_type` come from the upstream's own error type, so a client sees the same
    kind of error it would have seen had the upstream failed before streaming.
    """

    def __init__(self, message: str, *, status: int = 502, error_type: str = "api_error",
                 retryable: bool = False) -> None:
        super().__init__(message, status=status)
        self.openai_type = error_type
        self.retryable = retryable


class UpstreamTimeout(GatewayError):
    status, code, retryable, openai_type = 504, 2006, True, "timeout"


@dataclass
class FieldProblem:
    """One invalid field, collected before raising so a client sees every problem at once."""

    path: list[str | int]
    message: str
    extra: dict[str, Any] = field(default_factory=dict)


def validation_failed(problems: list[FieldProblem]) -> ValidationFailed:
    details = [ErrorDetail(7001, f"Input Validation Error: {p.message}", p.path) for p in problems]
    summary = "; ".join(f"{'.'.join(map(str, p.path)) or 'body'}: {p.message}" for p in problems)
    return ValidationFailed(f"Input Validation Error: {summary}", details=details)
