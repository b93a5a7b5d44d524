"""`GET /gateways/{gw}/analytics?start&end&group_by=provider|model|hour` (an aigw extension).

Reads the hourly roll-ups the ingest function keeps (`aigw.analytics`) for hours that overlap
`[start, end]` (default: the last 24 hours; at most 93 days) and sums them per group. Cost is
USD; latency and time to first byte are milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request

from aigw import analytics
from aigw.errors import FieldProblem, validation_failed
from aigw.log_filters import parse_instant
from aigw.management.auth import authorize
from aigw.management.envelope import ok
from aigw.management.gateways import find_gateway
from aigw.stores.log_store import LogStore, partition

router = APIRouter(prefix="/client/v4/accounts/{account_id}/ai-gateway/gateways/{gateway_id}")
MAX_RANGE = timedelta(days=93)
GROUPS = ("provider", "model", "hour")


def _hour(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H")


@router.get("/analytics")
async def get_analytics(request: Request, account_id: str, gateway_id: str) -> dict[str, Any]:
    authorize(request, account_id, "read")
    params = request.query_params
    end = parse_instant(params["end"], "end") if params.get("end") else datetime.now(UTC)
    start = parse_instant(params["start"], "start") if params.get("start") \
        else end - timedelta(hours=24)
    by = params.get("group_by") or "hour"
    problems = []
    if by not in GROUPS:
        problems.append(FieldProblem(["group_by"], "must be provider, model or hour"))
    if start > end:
        problems.append(FieldProblem(["start"], "must not be after end"))
    elif end - start > MAX_RANGE:
        problems.append(FieldProblem(["end"], "the range is at most 93 days"))
    if problems:
        raise validation_failed(problems)
    part = partition(account_id, find_gateway(account_id, gateway_id))
    cells = LogStore().rollups(part, _hour(start), _hour(end))
    rows = analytics.group(cells, by)
    totals = analytics.group([{**c, "all": "all"} for c in cells], "all")
    total = totals[0] if totals else analytics.group(
        [{"all": "all", "requests": 0}], "all")[0]
    total.pop("all", None)
    return ok({"start": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
               "end": end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
               "group_by": by, "rows": rows, "total": total})
