"""Fake Vertex AI (Gemini on Google Cloud) and the Google OAuth token endpoint it trusts.

`create()` serves, on one app:

- `POST /token`: the service-account JWT-bearer grant. The assertion's RS256 signature is checked
  against `credentials.vertex_service_account()`'s key, with Google's claim rules (`iss` the
  client email, `aud` https://oauth2.googleapis.com/token, the cloud-platform scope, at most an
  hour long). Minted tokens are counted in `fake.oauth.minted`, so tests can prove caching.
- `/{v1|v1beta1}/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent`,
  `:streamGenerateContent` (`?alt=sse` or a JSON array) and `:countTokens`, with the bodies and
  rules of the AI Studio fake, behind `Authorization: Bearer <minted token>`.

A project other than the service account's is 403 PERMISSION_DENIED; a location other than the
one the fake was created for is 400.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from fastapi import Request, Response
from fastapi.responses import JSONResponse

from tests.fakes import credentials
from tests.fakes.upstreams import google_thoughts
from tests.fakes.upstreams.common import (
    FakeHTTPError,
    FakeUpstream,
    bearer_token,
    build_fake,
    fixture,
)
from tests.fakes.upstreams.google_ai_studio import (
    body_or_400,
    count_response,
    generate,
    google_error,
    invalid,
    not_found,
    stream_chunks,
    stream_response,
    validate_generate,
)

SLUG = "google-vertex-ai"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
VERTEX_FIELDS = frozenset({"labels", "modelArmorConfig"})
VERTEX_COUNT_FIELDS = frozenset({"model", "instances", "contents", "systemInstruction", "tools",
                                 "generationConfig"})
MAX_LIFETIME_S = 3600
CLOCK_SKEW_S = 300
SHORT_LIVED = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
               "timeframe. Check your iat and exp values in the JWT claim.")


@dataclass
class TokenMint:
    """The fake OAuth server's state: tokens it issued and when each expires."""

    lifetime_s: int = 3599
    """`expires_in` of the next tokens; lower it to make a gateway refresh sooner."""
    issued: dict[str, float] = field(default_factory=dict)

    @property
    def minted(self) -> int:
        return len(self.issued)

    def mint(self) -> dict[str, Any]:
        token = "ya29.c." + secrets.token_urlsafe(48)
        self.issued[token] = time.time() + self.lifetime_s
        return dict(fixture("vertex", "oauth_token"), access_token=token,
                    expires_in=self.lifetime_s)

    def valid(self, token: str) -> bool | None:
        """True if live, False if expired, None if never issued."""
        expiry = self.issued.get(token)
        return None if expiry is None else expiry > time.time()

    def expire_all(self) -> None:
        for token in self.issued:
            self.issued[token] = 0.0

    def reset(self) -> None:
        self.issued.clear()
        self.lifetime_s = 3599


@dataclass
class VertexFake(FakeUpstream):
    oauth: TokenMint = field(default_factory=TokenMint)
    project: str = credentials.VERTEX_PROJECT_ID
    location: str = credentials.VERTEX_LOCATION

    @property
    def token_uri(self) -> str:
        return self.origin + "/token"

    def service_account(self) -> dict[str, str]:
        """The key file whose `token_uri` is this fake's `/token`."""
        return credentials.vertex_service_account(self.token_uri)

    def reset(self) -> None:
        super().reset()
        self.oauth.reset()


def create(location: str = credentials.VERTEX_LOCATION,
           project: str = credentials.VERTEX_PROJECT_ID) -> VertexFake:
    base = build_fake(SLUG)
    fake = VertexFake(base.slug, base.app, base.recorder, base.control, base.base_path,
                      project=project, location=location)

    @fake.app.post("/token")
    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
        if form.get("grant_type") != JWT_BEARER:
            raise oauth_error("unsupported_grant_type",
                              f"Invalid grant_type: {form.get('grant_type', '')}")
        verify_assertion(form.get("assertion", ""))
        return JSONResponse(fake.oauth.mint(), headers={"cache-control": "no-store"})

    prefix = "/{version}/projects/{project}/locations/{location}/publishers/google/models"

    @fake.app.post(prefix + "/{target}")
    async def models_method(version: str, project: str, location: str, target: str,
                            request: Request) -> Response:
        model, _, method = target.partition(":")
        resource = f"projects/{project}/locations/{location}/publishers/google/models/{model}"
        check_access_token(request, fake.oauth, method)
        if project != fake.project:
            raise permission_denied(resource)
        if location != fake.location:
            raise invalid(f"Location {location} is not served by this endpoint "
                          f"({fake.location}-aiplatform.googleapis.com).")
        if version not in ("v1", "v1beta1") or method not in METHODS:
            raise not_found(f"Publisher Model `{resource}`", version, method)
        body = await body_or_400(request)
        return METHODS[method](body, model, request)

    return fake


# ---------------------------------------------------------------- OAuth


def oauth_error(error: str, description: str) -> FakeHTTPError:
    return FakeHTTPError(400, {"error": error, "error_description": description})


def _b64url_json(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError as exc:
        raise oauth_error("invalid_grant", "Invalid JWT: malformed segment.") from exc
    if not isinstance(value, dict):
        raise oauth_error("invalid_grant", "Invalid JWT: malformed segment.")
    return value


def verify_assertion(assertion: str) -> dict[str, Any]:
    """Check a service-account JWT as Google does; return its claims."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise oauth_error("invalid_request", "Invalid JWT: assertion is not a signed JWT.")
    header, claims = _b64url_json(parts[0]), _b64url_json(parts[1])
    if header.get("alg") != "RS256" or header.get("kid", credentials.VERTEX_PRIVATE_KEY_ID) != \
            credentials.VERTEX_PRIVATE_KEY_ID:
        raise oauth_error("invalid_grant", "Invalid JWT Signature.")
    try:
        signature = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
        credentials.vertex_private_key().public_key().verify(
            signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError) as exc:
        raise oauth_error("invalid_grant", "Invalid JWT Signature.") from exc
    if claims.get("iss") != credentials.VERTEX_CLIENT_EMAIL:
        raise oauth_error("invalid_grant", "Invalid grant: account not found")
    if claims.get("aud") != credentials.GOOGLE_TOKEN_URI:
        raise oauth_error("invalid_grant", "Invalid JWT: Failed audience check. The right "
                                           f"audience is {credentials.GOOGLE_TOKEN_URI}")
    iat, exp, now = claims.get("iat"), claims.get("exp"), time.time()
    if not isinstance(iat, int) or not isinstance(exp, int) or not (
            iat - CLOCK_SKEW_S <= now < exp and exp - iat <= MAX_LIFETIME_S):
        raise oauth_error("invalid_grant", SHORT_LIVED)
    if credentials.VERTEX_SCOPE not in str(claims.get("scope", "")).split():
        raise oauth_error("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    return claims


def check_access_token(request: Request, mint: TokenMint, method: str) -> None:
    token = bearer_token(request)
    state = mint.valid(token) if token else None
    if state:
        return
    reason = ("ACCESS_TOKEN_EXPIRED" if state is False else
              "CREDENTIALS_MISSING" if token is None else "ACCESS_TOKEN_TYPE_UNSUPPORTED")
    raise google_error(401, "UNAUTHENTICATED", (
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project."), [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason,
         "domain": "googleapis.com",
         "metadata": {"service": "aiplatform.googleapis.com",
                      "method": "google.cloud.aiplatform.v1.PredictionService."
                                + method[:1].upper() + method[1:]}}])


def permission_denied(resource: str) -> FakeHTTPError:
    return google_error(403, "PERMISSION_DENIED", (
        f"Permission 'aiplatform.endpoints.predict' denied on resource "
        f"'//aiplatform.googleapis.com/{resource}' (or it may not exist)."), [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "IAM_PERMISSION_DENIED",
         "domain": "aiplatform.googleapis.com",
         "metadata": {"permission": "aiplatform.endpoints.predict",
                      "resource": resource.rsplit("/publishers/", 1)[0]}}])


# ---------------------------------------------------------------- methods


def _generate(body: dict[str, Any], model: str, request: Request) -> Response:
    validate_generate(body, VERTEX_FIELDS)
    google_thoughts.check(body.get("contents") or [], model, invalid)
    return JSONResponse(generate(body, model, "vertex"))


def _stream(body: dict[str, Any], model: str, request: Request) -> Response:
    validate_generate(body, VERTEX_FIELDS)
    google_thoughts.check(body.get("contents") or [], model, invalid)
    return stream_response(stream_chunks(body, model, "vertex"), request)


def _count(body: dict[str, Any], model: str, request: Request) -> Response:
    out = count_response(body, VERTEX_COUNT_FIELDS)
    return JSONResponse(dict(out, totalBillableCharacters=4 * out["totalTokens"]))


METHODS = {"generateContent": _generate, "streamGenerateContent": _stream,
           "countTokens": _count}
