"""The management function's FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from aigw import tokens
from aigw.management import (
    analytics,
    custom_providers,
    dynamic_routes,
    gateways,
    logs,
    provider_configs,
    spend,
)
from aigw.management import tokens as token_routes
from aigw.management.auth import register_token_verifier
from aigw.management.dashboard import dashboard_router
from aigw.web.body_limit import BodyLimitMiddleware
from aigw.web.errors import install_error_handlers


def create_app(dashboard_dir: Path | None = None) -> FastAPI:
    """The management API; with `dashboard_dir`, also the web console's files at /dashboard."""
    app = FastAPI(title="aigw management", docs_url=None, redoc_url=None, openapi_url=None)
    install_error_handlers(app, "management")
    register_token_verifier(tokens.verify_management_token)
    app.include_router(gateways.router)
    app.include_router(provider_configs.router)
    app.include_router(token_routes.router)
    app.include_router(custom_providers.router)
    app.include_router(logs.router)
    app.include_router(analytics.router)
    app.include_router(dynamic_routes.router)
    app.include_router(spend.router)
    if dashboard_dir is not None:
        app.include_router(dashboard_router(dashboard_dir))
    app.add_middleware(BodyLimitMiddleware, surface="management")
    return app
