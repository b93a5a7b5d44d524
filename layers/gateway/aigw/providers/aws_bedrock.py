"""Amazon Bedrock: `/bedrock-runtime/{region}/{path}` -> `https://bedrock-runtime.{region}...`.

Requests are SigV4-signed: by the client (forwarded unchanged), by the gateway with stored
credentials JSON, or — deployed, when allowed — with the function's own IAM role.
"""

from __future__ import annotations

from aigw.errors import InvalidRequest
from aigw.providers.bedrock_converse import BEDROCK_CONVERSE
from aigw.providers.bedrock_embed import BEDROCK_EMBEDDINGS
from aigw.providers.hosts import AWS_REGION, require
from aigw.providers.routing import decoded_segment, join_raw, split_segments
from aigw.providers.spec import AuthScheme, Provider, RouteContext, Target
from aigw.providers.usage_readers import BEDROCK_USAGE


def route(rest: str, ctx: RouteContext) -> Target:
    segs = split_segments(rest)
    if len(segs) < 3 or segs[0][1] != "bedrock-runtime":
        raise InvalidRequest("aws-bedrock paths are /bedrock-runtime/{region}/{endpoint}",
                             code=2008)
    region = require(AWS_REGION, decoded_segment(*segs[1]), "AWS region")
    return Target(origin=ctx.base.replace("{region}", region).rstrip("/"),
                  path=join_raw(segs[2:]), region=region)


BEDROCK_AUTH = AuthScheme(kind="sigv4", service="bedrock",
                          client_headers=("authorization",))

AWS_BEDROCK = Provider("aws-bedrock", "https://bedrock-runtime.{region}.amazonaws.com",
                       auth=BEDROCK_AUTH, route=route, chat=BEDROCK_CONVERSE,
                       embeddings=BEDROCK_EMBEDDINGS, embeddings_path=None,
                       compat_prefix="/bedrock-runtime/{region}", usage=BEDROCK_USAGE,
                       prices="aws")
