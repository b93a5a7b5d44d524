"""Provider config bodies, and the shape checks on secrets that are JSON documents.

Every message here names the field and the problem, never the value: a 7001 answer about a
secret must not contain the secret. JSON errors are reported without the decoder's message
(which quotes the text around the error).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from aigw.errors import FieldProblem
from aigw.forwarding import unsendable_value
from aigw.json_input import parse_json
from aigw.management.redaction import secret_preview
from aigw.providers.hosts import AWS_REGION, GCP_PROJECT
from aigw.stores.provider_keys import ALIAS_PATTERN

#: Secrets Manager's limit on a secret value.
MAX_SECRET_CHARS = 65_536
Secret = Annotated[str, Field(min_length=1, max_length=MAX_SECRET_CHARS)]


class ProviderConfigCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    provider_slug: Annotated[str, Field(min_length=1, max_length=80)]
    alias: Annotated[str, Field(pattern=ALIAS_PATTERN)] = "default"
    secret: Secret
    default_config: bool = False
    rate_limit: Annotated[float, Field(ge=0, strict=False)] | None = None
    rate_limit_period: Annotated[float, Field(ge=0, strict=False)] | None = None


class ProviderConfigRotate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    secret: Secret


def _json_object(secret: str, what: str) -> tuple[dict[str, Any] | None, list[FieldProblem]]:
    try:
        data = parse_json(secret)
    except ValueError:
        return None, [FieldProblem(["secret"], f"must be {what} as a JSON object; it is not "
                                               "valid JSON")]
    if not isinstance(data, dict):
        return None, [FieldProblem(["secret"], f"must be {what} as a JSON object")]
    return data, []


def _text(data: dict[str, Any], name: str, required: bool = True) -> list[FieldProblem]:
    value = data.get(name)
    if value is None and not required:
        return []
    if not isinstance(value, str) or not value.strip():
        return [FieldProblem(["secret", name], "field required (a non-empty string)")]
    return []


def _aws_credentials(secret: str) -> list[FieldProblem]:
    data, problems = _json_object(secret, "AWS credentials {accessKeyId, secretAccessKey, "
                                          "region, sessionToken?}")
    if data is None:
        return problems
    allowed = {"accessKeyId", "secretAccessKey", "region", "sessionToken"}
    if set(data) - allowed:
        # The unknown names are not repeated: they are part of a secret.
        problems.append(FieldProblem(["secret"], "has fields other than accessKeyId, "
                                                 "secretAccessKey, region and sessionToken"))
    for name in ("accessKeyId", "secretAccessKey", "region"):
        problems += _text(data, name)
    problems += _text(data, "sessionToken", required=False)
    region = data.get("region")
    if isinstance(region, str) and region.strip() and not AWS_REGION.fullmatch(region):
        problems.append(FieldProblem(["secret", "region"], "is not an AWS region name"))
    return problems


def _service_account(secret: str) -> list[FieldProblem]:
    data, problems = _json_object(secret, "a Google service-account key")
    if data is None:
        return problems
    for name in ("client_email", "private_key", "project_id"):
        problems += _text(data, name)
    if data.get("type", "service_account") != "service_account":
        problems.append(FieldProblem(["secret", "type"], "must be 'service_account'"))
    email, key, project = data.get("client_email"), data.get("private_key"), data.get("project_id")
    if isinstance(email, str) and email.strip() and "@" not in email:
        problems.append(FieldProblem(["secret", "client_email"], "is not an email address"))
    if isinstance(key, str) and key.strip() and "PRIVATE KEY-----" not in key:
        problems.append(FieldProblem(["secret", "private_key"], "is not a PEM private key"))
    if isinstance(project, str) and project.strip() and not GCP_PROJECT.fullmatch(project):
        problems.append(FieldProblem(["secret", "project_id"], "is not a Google Cloud project id"))
    return problems


def _header_value(secret: str) -> list[FieldProblem]:
    # The key is sent as an HTTP header value: line breaks would split the header.
    if unsendable_value(secret):
        return [FieldProblem(["secret"], "must not contain line breaks or control characters")]
    if secret != secret.strip():
        return [FieldProblem(["secret"], "must not start or end with whitespace")]
    return []


_SHAPES: dict[str, Callable[[str], list[FieldProblem]]] = {
    "aws-bedrock": _aws_credentials,
    "google-vertex-ai": _service_account,
}


def secret_problems(provider_slug: str, secret: str) -> list[FieldProblem]:
    return _SHAPES.get(provider_slug, _header_value)(secret)


def preview_for(provider_slug: str, secret: str) -> str:
    """`secret_preview`: for JSON credentials, a preview of the identifying field (the access key
    id, the service account's email), since the start of a JSON text tells nobody anything."""
    if provider_slug in _SHAPES:
        data = json.loads(secret)
        ident = data.get("accessKeyId") or data.get("client_email") or ""
        return secret_preview(str(ident))
    return secret_preview(secret)
