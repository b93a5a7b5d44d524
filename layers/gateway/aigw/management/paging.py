"""The `page` / `per_page` query parameters every management list takes (spec section 4)."""

from __future__ import annotations

from fastapi import Request

from aigw.validation import query_int


def page_params(request: Request, max_per_page: int = 100) -> tuple[int, int]:
    """(page, per_page): page from 1, per_page 1..`max_per_page` (default 20); else 7001."""
    q = dict(request.query_params)
    return (query_int(q, "page", 1, 1, 1_000_000),
            query_int(q, "per_page", 20, 1, max_per_page))
