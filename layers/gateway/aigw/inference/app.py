"""The inference function's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from aigw.web import health
from aigw.web.errors import install_error_handlers


def create_app() -> FastAPI:
    app = FastAPI(title="aigw inference", docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app, "gateway")
    app.include_router(health.router)
    return app
