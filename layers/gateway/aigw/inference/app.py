"""The inference function's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from aigw.inference import routes
from aigw.web import health
from aigw.web.body_limit import BodyLimitMiddleware
from aigw.web.errors import install_error_handlers
from aigw.web.failures import FailureMiddleware
from aigw.web.request_context import RequestContextMiddleware


def create_app() -> FastAPI:
    app = FastAPI(title="aigw inference", docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app, "gateway")
    app.include_router(health.router)
    app.include_router(routes.router)
    app.add_middleware(BodyLimitMiddleware, surface="gateway")
    app.add_middleware(FailureMiddleware, surface="gateway")
    app.add_middleware(RequestContextMiddleware)
    return app
