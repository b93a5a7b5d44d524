"""Server-side AWS Signature Version 4 verification for fake AWS services.

`verify_sigv4` recomputes the signature of a received request with botocore's own signer — the
method, the raw (still URL-encoded) path, the query, exactly the headers the client lists in
`SignedHeaders`, the timestamp from `x-amz-date` and the body — for the credentials in
`tests.fakes.credentials`, and rejects what AWS rejects with AWS's error types and messages
(`{"message"}` and the `x-amzn-ErrorType` header, status 403).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import uuid

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from starlette.requests import Request

from tests.fakes import credentials
from tests.fakes.upstreams.common import FakeHTTPError

__all__ = ["MISMATCH", "SECRETS", "aws_error", "verify_sigv4"]

SECRETS: dict[str, tuple[str, str | None]] = {
    credentials.AWS_ACCESS_KEY_ID: (credentials.AWS_SECRET_ACCESS_KEY, None),
    credentials.AWS_SESSION_ACCESS_KEY_ID: (credentials.AWS_SESSION_SECRET_ACCESS_KEY,
                                            credentials.AWS_SESSION_TOKEN),
}
"""Access key id -> (secret, session token required with it)."""
AUTH_HEADER = re.compile(r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/"
                         r"(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, ?"
                         r"SignedHeaders=(?P<signed>[a-z0-9;-]+), ?Signature=(?P<sig>[0-9a-f]{64})")
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")
MAX_SKEW = dt.timedelta(minutes=5)
_STAMP = "%Y%m%dT%H%M%SZ"


def aws_error(status: int, kind: str, message: str) -> FakeHTTPError:
    """`{"message"}` with the error type in `x-amzn-ErrorType`, as AWS JSON services answer."""
    return FakeHTTPError(status, {"message": message}, headers={
        "x-amzn-ErrorType": kind, "x-amzn-RequestId": str(uuid.uuid4())})


class _Verifier(SigV4Auth):
    """botocore's SigV4 signer, canonicalising exactly the headers the client says it signed."""

    def __init__(self, creds: Credentials, service: str, region: str, signed: list[str]) -> None:
        super().__init__(creds, service, region)
        self.signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        out = HTTPHeaders()
        for name in self.signed:
            out[name] = request.headers.get(name, "")
        return out


def verify_sigv4(request: Request, body: bytes, region: str, service: str) -> None:
    """Raise the 403 AWS answers unless `request` is signed for `service` in `region`."""
    header = request.headers.get("authorization")
    if not header:
        raise aws_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    auth = AUTH_HEADER.fullmatch(header.strip())
    if auth is None:
        raise aws_error(403, "IncompleteSignatureException", "Authorization header requires "
                        "'Credential', 'SignedHeaders' and 'Signature' parameters. "
                        f"Authorization={header.split(' ')[0]}")
    secret, token = SECRETS.get(auth["key"], (None, None))
    if secret is None or request.headers.get("x-amz-security-token") != token:
        raise aws_error(403, "UnrecognizedClientException",
                        "The security token included in the request is invalid.")
    stamp = request.headers.get("x-amz-date", "")
    problem = _scope_problem(auth, stamp, region, service)
    if problem:
        raise aws_error(403, "InvalidSignatureException", problem)
    sha = request.headers.get("x-amz-content-sha256")
    if sha not in (None, "UNSIGNED-PAYLOAD", hashlib.sha256(body).hexdigest()):
        raise aws_error(403, "InvalidSignatureException", "The provided 'x-amz-content-sha256' "
                        "header does not match what was computed.")
    signed = auth["signed"].split(";")
    query = request.scope["query_string"].decode("latin-1")
    url = "http://{}{}{}".format(request.headers.get("host", ""),
                                 request.scope["raw_path"].decode("latin-1"),
                                 "?" + query if query else "")
    copied = {n: ",".join(request.headers.getlist(n)) for n in signed}
    aws_request = AWSRequest(method=request.method, url=url, headers=copied, data=body)
    aws_request.context["timestamp"] = stamp
    verifier = _Verifier(Credentials(auth["key"], secret, token), service, auth["region"],
                         signed)
    canonical = verifier.canonical_request(aws_request)
    expected = verifier.signature(verifier.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, auth["sig"]):
        raise aws_error(403, "InvalidSignatureException", MISMATCH)


def _scope_problem(auth: re.Match[str], stamp: str, region: str, service: str) -> str | None:
    try:
        when = dt.datetime.strptime(stamp, _STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return ("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header.")
    now = dt.datetime.now(dt.UTC)
    if auth["date"] != stamp[:8]:
        return (f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{auth['date']}' != '{stamp[:8]}', from '{stamp}'.")
    if auth["region"] != region:
        return "Credential should be scoped to a valid region. "
    if auth["service"] != service:
        return f"Credential should be scoped to correct service: '{service}'. "
    if "host" not in auth["signed"].split(";"):
        return "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    if abs(now - when) > MAX_SKEW:
        return (f"Signature expired: {stamp} is now earlier than "
                f"{(now - MAX_SKEW).strftime(_STAMP)} ({now.strftime(_STAMP)} - 5 min.)")
    return None
