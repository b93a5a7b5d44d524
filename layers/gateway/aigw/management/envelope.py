"""The Cloudflare API v4 success envelope."""

from __future__ import annotations

from typing import Any


def ok(result: Any) -> dict[str, Any]:
    return {"success": True, "result": result, "errors": [], "messages": []}


def ok_page(items: list[Any], page: int, per_page: int) -> dict[str, Any]:
    """Slice `items` to one page and describe it in `result_info`."""
    start = (page - 1) * per_page
    chunk = items[start:start + per_page]
    return {**ok(chunk), "result_info": {"page": page, "per_page": per_page, "count": len(chunk),
                                         "total_count": len(items)}}
