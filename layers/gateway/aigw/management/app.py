"""The management function's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from aigw.management import gateways
from aigw.web.errors import install_error_handlers


def create_app() -> FastAPI:
    app = FastAPI(title="aigw management", docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app, "management")
    app.include_router(gateways.router)
    return app
