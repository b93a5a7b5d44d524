"""Route graphs on disk (tests/fixtures/routes) and a helper to manage routes over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROUTES = Path(__file__).resolve().parents[1] / "fixtures" / "routes"


def elements(name: str, **models: str) -> list[dict[str, Any]]:
    """The valid graph `name`; `models` renames model elements' models by element id."""
    els: list[dict[str, Any]] = json.loads((ROUTES / "valid" / f"{name}.json").read_text())
    for el in els:
        if el["id"] in models:
            el["properties"] = {**el["properties"], "model": models[el["id"]]}
    return els


def invalid_cases() -> list[Path]:
    return sorted((ROUTES / "invalid").glob("*.json"))
