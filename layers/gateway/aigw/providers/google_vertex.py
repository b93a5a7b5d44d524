"""Vertex AI: `/v1/projects/{p}/locations/{region}/...` -> `https://{region}-aiplatform...`.

The location picks the regional host, so it is held to Google's location grammar. The gateway
turns a stored service-account key into short-lived access tokens.
"""

from __future__ import annotations

from aigw.errors import InvalidRequest
from aigw.providers.gemini_chat import VERTEX_CHAT
from aigw.providers.hosts import GCP_PROJECT, VERTEX_LOCATION, require
from aigw.providers.routing import decoded_segment, join_raw, split_segments
from aigw.providers.spec import AuthScheme, Provider, RouteContext, Target
from aigw.providers.usage_readers import VERTEX_USAGE

GLOBAL_HOST = "https://aiplatform.googleapis.com"


def vertex_origin(base: str, region: str) -> str:
    if region == "global" and "{region}" in base:
        return GLOBAL_HOST
    return base.replace("{region}", region).rstrip("/")


def route(rest: str, ctx: RouteContext) -> Target:
    segs = split_segments(rest)
    names = [d for _, d in segs]
    if len(segs) < 6 or names[1] != "projects" or names[3] != "locations":
        raise InvalidRequest(
            "google-vertex-ai paths are /{version}/projects/{project}/locations/{region}/...",
            code=2008)
    require(GCP_PROJECT, decoded_segment(*segs[2]), "Google Cloud project")
    region = require(VERTEX_LOCATION, decoded_segment(*segs[4]), "Vertex AI location")
    return Target(origin=vertex_origin(ctx.base, region), path=join_raw(segs), region=region)


VERTEX_AUTH = AuthScheme(kind="google_token", client_headers=("authorization",))

GOOGLE_VERTEX_AI = Provider("google-vertex-ai", "https://{region}-aiplatform.googleapis.com",
                            auth=VERTEX_AUTH, route=route, chat=VERTEX_CHAT, embeddings_path=None,
                            default_region="us-central1", usage=VERTEX_USAGE,
                            prices="google")
