"""Grammars for path segments that become part of an upstream host or credential scope.

Nothing a client sends may move a request to another host: a segment that lands in a hostname
must match the provider's real naming rules, checked on the individually percent-decoded
segment, so `..`, `%2F`, `@`, `#`, `?`, `:port` and friends can never pass.
"""

from __future__ import annotations

import re

from aigw.errors import InvalidRequest

# Azure OpenAI custom subdomain: letters, digits, hyphens; 2-64 chars; no leading/trailing '-'.
AZURE_RESOURCE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])$")
# Azure deployment names: letters, digits, '-', '_', '.'; not '.'/'..'.
AZURE_DEPLOYMENT = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,64}$")
# AWS regions: us-east-1, eu-central-2, ap-southeast-5, us-gov-west-1, cn-north-1, ...
AWS_REGION = re.compile(r"^[a-z]{2}(?:-(?:gov|iso[a-z]?))?-[a-z]+-[0-9]{1,2}$")
# Vertex AI locations: us-central1, europe-west4, asia-northeast1, global, us, eu.
VERTEX_LOCATION = re.compile(r"^(?:[a-z]+-[a-z]+[0-9]{1,2}|global|us|eu)$")
GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$|^[a-z0-9.:-]{1,100}$")


def require(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(value):
        # The value is echoed safely: it passed through no host, and clients need to see it.
        raise InvalidRequest(f"invalid {what} {value[:80]!r} in the path", code=2008)
    return value
