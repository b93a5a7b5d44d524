"""Azure OpenAI: `/{resource}/{deployment}/{path}` -> `https://{resource}.openai.azure.com/...`.

The resource becomes part of the hostname, so it is held to Azure's naming grammar.
"""

from __future__ import annotations

from aigw.errors import InvalidRequest
from aigw.providers.hosts import AZURE_DEPLOYMENT, AZURE_RESOURCE, require
from aigw.providers.routing import decoded_segment, join_raw, split_segments
from aigw.providers.spec import AuthScheme, Provider, RouteContext, Target

#: The GA Azure OpenAI data-plane API version compat requests use.
COMPAT_API_VERSION = "2024-10-21"


def route(rest: str, ctx: RouteContext) -> Target:
    segs = split_segments(rest)
    if len(segs) < 3:
        raise InvalidRequest("azure-openai paths are /{resource}/{deployment}/{endpoint}",
                             code=2008)
    resource = require(AZURE_RESOURCE, decoded_segment(*segs[0]), "Azure resource name")
    deployment = require(AZURE_DEPLOYMENT, decoded_segment(*segs[1]), "Azure deployment name")
    base = ctx.base.replace("{resource}", resource.lower()).replace("{deployment}", deployment)
    return Target(origin=base.rstrip("/"), path=join_raw(segs[2:]))


AZURE_OPENAI = Provider(
    "azure-openai",
    "https://{resource}.openai.azure.com/openai/deployments/{deployment}",
    auth=AuthScheme(header="api-key", prefix="", client_headers=("api-key", "authorization")),
    route=route,
    # Compat: `azure-openai/{resource}/{deployment}`; the route checks both as on passthrough.
    compat_prefix="/{model}",
    compat_model_format=(r"[^/]+/[^/]+", "azure-openai/{resource}/{deployment}"),
    chat_path=f"/chat/completions?api-version={COMPAT_API_VERSION}",
    embeddings_path=f"/embeddings?api-version={COMPAT_API_VERSION}",
    prices="azure",
    stream_usage_option=True,
)
