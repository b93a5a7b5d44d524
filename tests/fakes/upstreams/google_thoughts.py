"""Thought signatures on the Gemini fakes (AI Studio and Vertex), for Gemini 3 models.

Gemini 3 answers a function call with a `thoughtSignature` on the first functionCall part of
each step, and requires it back: in the current turn (the contents after the last user turn
that holds text), every model turn with function calls must carry on its first functionCall
part the signature it was given, or the documented `skip_thought_signature_validator` value;
otherwise 400 INVALID_ARGUMENT (Gemini API "Thought signatures" guide).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

SKIP = "skip_thought_signature_validator"
MISSING = ("Function call is missing a thought_signature in functionCall parts. This is "
           "required for tools to work correctly, and missing thought_signature may lead to "
           "degraded model performance. Additional data, function call `default_api:{name}` , "
           "position {position}. Please refer to "
           "https://ai.google.dev/gemini-api/docs/thought-signatures for more details.")
_KEY = b"fake-gemini-thoughts"


def gemini3(model: str) -> bool:
    found = re.search(r"gemini-(\d+)", model)
    return bool(found and int(found.group(1)) >= 3)


def signature_for(call: Mapping[str, Any]) -> str:
    payload = json.dumps([call.get("name"), call.get("args") or {}], sort_keys=True)
    return base64.b64encode(hashlib.sha256(_KEY + payload.encode()).digest()).decode()


def sign(parts: list[dict[str, Any]], model: str) -> list[dict[str, Any]]:
    """The reply's parts, the first functionCall signed when the model is Gemini 3."""
    if gemini3(model):
        for part in parts:
            if "functionCall" in part:
                part["thoughtSignature"] = signature_for(part["functionCall"])
                break
    return parts


def check(contents: list[Mapping[str, Any]], model: str, invalid: Any) -> None:
    if not gemini3(model):
        return
    start = 0
    for i, content in enumerate(contents):
        parts = content.get("parts") or []
        if content.get("role", "user") == "user" and any("text" in p for p in parts):
            start = i + 1
    for i in range(start, len(contents)):
        calls = [p for p in contents[i].get("parts") or [] if "functionCall" in p]
        if contents[i].get("role") != "model" or not calls:
            continue
        first = calls[0]
        given = first.get("thoughtSignature")
        if given != SKIP and given != signature_for(first["functionCall"]):
            raise invalid(MISSING.format(name=first["functionCall"].get("name"),
                                         position=i + 1))
