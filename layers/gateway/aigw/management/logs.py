"""`/gateways/{gw}/logs`: list, delete by filters, get one, its bodies, PATCH (feedback, score,
metadata).

Spec section 4 ("Logs API"); the query language is `aigw.log_filters`, the bounded read plan
`aigw.log_search`. Stored documents are the records `aigw.logs` writes; this module only chooses
which of their fields each answer shows.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from aigw.errors import FieldProblem, NotFound, validation_failed
from aigw.log_filters import parse_log_query
from aigw.log_search import search
from aigw.management.auth import authorize
from aigw.management.envelope import ok
from aigw.management.gateways import find_gateway
from aigw.request_options import MAX_METADATA
from aigw.stores.log_store import LogStore, partition
from aigw.validation import parse_json_object, query_int

router = APIRouter(prefix="/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}")

#: The spec's list item, in its order; `None` values are shown as null.
LIST_FIELDS = ("id", "created_at", "provider", "model", "model_type", "path", "request_type",
               "success", "cached", "status_code", "duration", "tokens_in", "tokens_out", "cost",
               "custom_cost", "metadata", "event_id", "step", "request_content_type",
               "response_content_type")
#: What the detail adds: the spec's body heads and sizes, then aigw's fields.
DETAIL_FIELDS = ("request_head", "request_head_complete", "request_size", "response_head",
                 "response_head_complete", "response_size", "time_to_first_byte", "feedback",
                 "score", "method", "cached_tokens", "cache_write_tokens", "reasoning_tokens",
                 "error_code", "user_agent", "authentication", "wholesale", "dlp_action",
                 "request_head_encoding", "response_head_encoding",
                 "route", "route_version", "route_path")
#: Fields the `cloudflare` SDK types as required strings: never null on the wire.
REQUIRED_STRINGS = ("provider", "model", "path")
#: DELETE's `limit` range (spec: 1..10000); the default deletes as many as allowed.
MAX_DELETE = 10_000


def store() -> LogStore:
    return LogStore()


def _part(account_id: str, gateway_id: str) -> str:
    return partition(account_id, find_gateway(account_id, gateway_id))


def list_item(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: doc.get(k) for k in LIST_FIELDS}
    for k in REQUIRED_STRINGS:
        out[k] = out[k] or ""
    out["metadata"] = json.dumps(doc.get("metadata") or {}, separators=(",", ":"))
    out["duration"] = int(out["duration"] or 0)
    return out


def detail(doc: dict[str, Any], bodies: dict[str, Any]) -> dict[str, Any]:
    merged = {**doc, **bodies}
    return {**list_item(doc), **{k: merged.get(k) for k in DETAIL_FIELDS}}


@router.get("/logs")
async def list_logs(request: Request, account_id: str, gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    q = parse_log_query(list(request.query_params.multi_items()))
    page = search(store(), _part(account_id, gateway_id), q)
    return {**ok([list_item(d) for d in page.items]),
            "result_info": {"page": q.page, "per_page": q.per_page, "count": len(page.items),
                            "total_count": page.total_count,
                            "total_count_exact": page.exact}}


@router.delete("/logs")
async def delete_logs(request: Request, account_id: str, gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    limit = query_int(dict(request.query_params), "limit", MAX_DELETE, 1, MAX_DELETE)
    pairs = [(k, v) for k, v in request.query_params.multi_items()
             if k not in ("page", "per_page", "limit")]
    q = parse_log_query([*pairs, ("per_page", str(limit))], max_per_page=MAX_DELETE)
    part = _part(account_id, gateway_id)
    page = search(store(), part, q)
    store().delete(part, [d["id"] for d in page.items])
    return ok({"success": True, "deleted": len(page.items)})


def _find_log(account_id: str, gateway_id: str, log_id: str) -> tuple[str, dict[str, Any]]:
    part = _part(account_id, gateway_id)
    doc = store().get(part, log_id)
    if doc is None:
        raise NotFound(f"log '{log_id}' not found")
    return part, doc


@router.get("/logs/{log_id}")
async def get_log(request: Request, account_id: str, gateway_id: str,
                  log_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    part, doc = _find_log(account_id, gateway_id, log_id)
    return ok(detail(doc, store().bodies(part, log_id)))


def _body(account_id: str, gateway_id: str, log_id: str, which: str) -> Response:
    part, doc = _find_log(account_id, gateway_id, log_id)
    bodies = store().bodies(part, log_id)
    head = bodies.get(f"{which}_head")
    if head is None:
        raise NotFound(f"log '{log_id}' has no stored {which} body (payload collection off)")
    content_type = doc.get(f"{which}_content_type") or "application/octet-stream"
    if bodies.get(f"{which}_head_encoding") == "base64":
        return Response(base64.b64decode(head), media_type=content_type)
    if "json" in content_type and bodies.get(f"{which}_head_complete"):
        try:
            return JSONResponse(json.loads(head))
        except ValueError:
            pass
    return Response(head.encode(), media_type=content_type)


@router.get("/logs/{log_id}/request")
async def get_request_body(request: Request, account_id: str, gateway_id: str,
                           log_id: str) -> Response:
    authorize(request, account_id, "read")
    return _body(account_id, gateway_id, log_id, "request")


@router.get("/logs/{log_id}/response")
async def get_response_body(request: Request, account_id: str, gateway_id: str,
                            log_id: str) -> Response:
    authorize(request, account_id, "read")
    return _body(account_id, gateway_id, log_id, "response")


def _patch_problems(body: dict[str, Any]) -> list[FieldProblem]:
    problems = []
    feedback = body.get("feedback")
    if feedback is not None and (isinstance(feedback, bool) or feedback not in (-1, 0, 1)):
        problems.append(FieldProblem(["feedback"], "must be -1, 0, 1 or null"))
    score = body.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))
                              or not math.isfinite(score)):
        problems.append(FieldProblem(["score"], "must be a number or null"))
    meta = body.get("metadata")
    if meta is not None:
        if not isinstance(meta, dict) or any(
                isinstance(v, (dict, list)) or v is None for v in meta.values()):
            problems.append(FieldProblem(["metadata"], "must be a flat object of strings, "
                                                       "numbers and booleans, or null"))
        elif len(meta) > MAX_METADATA:
            problems.append(FieldProblem(["metadata"], f"at most {MAX_METADATA} entries"))
    return problems


@router.patch("/logs/{log_id}")
async def patch_log(request: Request, account_id: str, gateway_id: str,
                    log_id: str) -> dict[str, Any]:
    authorize(request, account_id, "edit")
    body = parse_json_object(await request.body())
    problems = _patch_problems(body)
    if problems:
        raise validation_failed(problems)
    part, doc = _find_log(account_id, gateway_id, log_id)
    for name in ("feedback", "score", "metadata"):
        if name in body:
            value = body[name]
            if name == "feedback" and value is not None:
                value = int(value)
            doc[name] = value if name != "metadata" else (value or {})
    if not store().replace_doc(part, doc):
        raise NotFound(f"log '{log_id}' not found")
    return ok(detail(doc, store().bodies(part, log_id)))
