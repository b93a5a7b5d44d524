"""Workers AI: `/{model id}` -> `.../accounts/{account}/ai/run/{model}`; `/v1/...` is OpenAI-shaped.

The Cloudflare account is the gateway path's account id, as on Cloudflare itself.
"""

from __future__ import annotations

from aigw.providers.routing import join_raw, split_segments
from aigw.providers.spec import Provider, RouteContext, Target
from aigw.providers.usage_readers import WORKERS_AI_USAGE


def route(rest: str, ctx: RouteContext) -> Target:
    segs = split_segments(rest)
    base = ctx.base.replace("{account_id}", ctx.account_id).rstrip("/")
    if segs and segs[0][1] == "v1":
        return Target(origin=base, path=join_raw(segs))
    return Target(origin=base, path="/run" + join_raw(segs))


WORKERS_AI = Provider("workers-ai", "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai",
                      route=route, chat_path="/v1/chat/completions",
                      embeddings_path="/v1/embeddings", usage=WORKERS_AI_USAGE,
                      prices="cloudflare", stream_usage_option=True)
