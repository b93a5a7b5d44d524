"""`GET /dashboard`: the web console's static files, served by the management function.

The console is plain HTML, CSS and ES modules (`functions/management/dashboard/`) that call the
public management API with a bearer token from the tab's session storage: no cookies, so no
CSRF surface, and nothing it shows is hidden from a script. Its one third-party file (uPlot) is
copied from npm into `dashboard/vendor/` at build time (`sam build`'s makefile target, or
`make dashboard-assets` locally); it is never committed.

Files are read once per warm process and kept with a gzip copy; answers carry an ETag, so a
revisit costs a 304. The Content-Security-Policy allows only this origin's scripts, styles and
API: an injected string can never run as code.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from aigw.errors import NotFound

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
#: Bytes below which gzip is not worth the CPU (and may even grow the body).
GZIP_MIN_BYTES = 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str


@lru_cache(maxsize=256)
def _load(path: Path) -> Asset:
    body = path.read_bytes()
    packed = gzip.compress(body, compresslevel=9, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Asset(body, packed, CONTENT_TYPES[path.suffix], etag)


def resolve_asset(root: Path, relative: str) -> Path:
    """The file under `root` that `relative` names, or NotFound (no traversal, known types only)."""
    candidate = (root / relative).resolve()
    if (root.resolve() not in candidate.parents or candidate.suffix not in CONTENT_TYPES
            or not candidate.is_file()):
        raise NotFound("No such dashboard file", code=7000)
    return candidate


def asset_response(request: Request, path: Path, cache_control: str) -> Response:
    asset = _load(path)
    headers = {**SECURITY_HEADERS, "ETag": asset.etag, "Cache-Control": cache_control,
               "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        body, headers["Content-Encoding"] = asset.gzipped, "gzip"
    return Response(body, media_type=asset.content_type, headers=headers)


def dashboard_router(root: Path) -> APIRouter:
    """Routes for the console whose files are in `root` (`index.html`, `app.css`, `js/`, ...)."""
    router = APIRouter()

    @router.get("/dashboard", include_in_schema=False)
    async def index(request: Request) -> Response:
        # Always revalidated: it names the app's entry module, which changes with a deploy.
        return asset_response(request, resolve_asset(root, "index.html"), "no-cache")

    @router.get("/dashboard/", include_in_schema=False)
    async def slash() -> Response:
        # Relative links in the page assume `.../dashboard`; keep one URL for it.
        return RedirectResponse("../dashboard", status_code=308)

    @router.get("/dashboard/{relative:path}", include_in_schema=False)
    async def asset(request: Request, relative: str) -> Response:
        return asset_response(request, resolve_asset(root, relative), "no-cache")

    return router
