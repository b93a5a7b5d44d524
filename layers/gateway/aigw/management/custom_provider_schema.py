"""The custom provider object: `{name, slug, base_url, enable, headers?}`.

`base_url` becomes the upstream of `custom-{slug}` requests, so it must pass the egress policy
(`aigw.egress.check_url`: https, a public host) and be a URL that says only where to go: no
credentials in it (`user@host`), no fragment, no query (the client's path and query are appended
to it). `headers` are extra headers sent upstream and may carry credentials: validation messages
name the header, never its value. Cloudflare's SDK sends `headers` as a JSON-encoded string; a
plain JSON object is accepted too.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aigw.egress import check_url
from aigw.forwarding import HEADER_NAME, unsendable_value
from aigw.json_input import parse_json

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_HEADERS = 20
#: Headers the gateway itself owns on the upstream request.
_RESERVED = {"host", "content-length", "transfer-encoding", "connection", "upgrade", "te",
             "keep-alive", "proxy-authorization", "proxy-connection", "trailer"}


def check_base_url(value: str) -> str:
    if len(value) > 2048 or any(c.isspace() or c == "\\" for c in value):
        raise ValueError("must be a URL of at most 2048 characters without spaces or '\\'")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as e:
        raise ValueError("is not a valid URL") from e
    if "#" in value:
        raise ValueError("must not contain a fragment")
    if "?" in value:
        raise ValueError("must not contain a query string")
    check_url(value)  # the egress policy: https, a public host (re-checked at connect time)
    return value.rstrip("/")


def check_headers(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = parse_json(value) if value.strip() else {}
        except ValueError:
            raise ValueError("must be a JSON object of header names to values") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object of header names to values")
    if len(value) > MAX_HEADERS:
        raise ValueError(f"at most {MAX_HEADERS} headers")
    out: dict[str, str] = {}
    for name, v in value.items():
        if not isinstance(name, str) or not HEADER_NAME.fullmatch(name):
            raise ValueError("header names must be HTTP tokens of at most 128 characters")
        lower = name.lower()
        if lower in _RESERVED or lower.startswith("cf-aig-"):
            raise ValueError(f"header '{name}' is set by the gateway and cannot be configured")
        if not isinstance(v, str) or len(v) > 4096 or unsendable_value(v):
            raise ValueError(f"value of header '{name}' must be a string of at most 4096 "
                             "characters without line breaks")
        out[lower] = v
    return out


class CustomProviderFields(BaseModel):
    """What create and full update share. Unknown fields are ignored: Cloudflare's SDK sends
    presentational ones (`beta`, `logo`, `curl_example`, ...) aigw does not use."""

    model_config = ConfigDict(strict=True, extra="ignore")

    name: Annotated[str, Field(min_length=1, max_length=120)]
    base_url: Annotated[str, Field(min_length=1)]
    enable: bool = True
    headers: dict[str, str] | str | None = None
    description: Annotated[str, Field(max_length=1000)] | None = None

    _base_url = field_validator("base_url")(check_base_url)
    _headers = field_validator("headers", mode="before")(check_headers)


Slug = Annotated[str, Field(min_length=1, max_length=64, pattern=SLUG_PATTERN)]


class CustomProviderBody(CustomProviderFields):
    slug: Slug


class CustomProviderUpdate(CustomProviderFields):
    """PUT: the slug is the provider's data-plane name and cannot change; it may be omitted."""

    slug: Slug | None = None
