"""The Anthropic fake's documented request constraints beyond message shape (issue 9, kind 3).

Each rule raises the 400 `invalid_request_error` the real Messages API answers, with its
message (see the README's constraint list for the sources):

- text blocks (messages and `system`) must hold non-whitespace text;
- `tool_use` / `tool_result` blocks need `tools` defined;
- `tool_use` ids match `^[a-zA-Z0-9_-]+$` and are unique in the conversation;
- with `thinking` enabled: `budget_tokens` >= 1024 and < `max_tokens`; `temperature` only 1;
  `top_p` >= 0.95; `tool_choice` may not force tool use; and the final assistant turn of a tool
  loop (the one whose `tool_use` blocks the last user turn answers) must start with a
  `thinking` or `redacted_thinking` block whose signature (or data) this fake issued.

Signatures are what the fake itself produced for that thinking text (`signature_for`), so a
block a client edited, or one made up, is refused like the real API refuses it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

TOOL_ID = re.compile(r"[a-zA-Z0-9_-]+")
MIN_BUDGET = 1024
THINKING_FIRST = (
    "messages.{i}.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
    "`{found}`. When `thinking` is enabled, a final `assistant` message must start with a "
    "thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). We "
    "recommend you include thinking blocks from previous turns. To avoid this requirement, "
    "disable `thinking`. Please consult our documentation at "
    "https://docs.claude.com/en/docs/build-with-claude/extended-thinking")
_SECRET = b"fake-anthropic-thinking-key"


def signature_for(thinking: str) -> str:
    """The signature the fake gives a thinking text (a keyed digest, base64 like the real)."""
    return base64.b64encode(hashlib.sha256(_SECRET + thinking.encode()).digest()).decode()


def redacted_data_for(secret: str) -> str:
    """Opaque `redacted_thinking` data the fake can recognise again."""
    payload = secret.encode() + hashlib.sha256(_SECRET + secret.encode()).digest()[:8]
    return base64.b64encode(payload).decode()


def _redacted_ok(data: Any) -> bool:
    try:
        raw = base64.b64decode(str(data), validate=True)
    except ValueError:
        return False
    secret, tag = raw[:-8], raw[-8:]
    return hashlib.sha256(_SECRET + secret).digest()[:8] == tag


def check(body: dict[str, Any], invalid: Any) -> None:
    """Raise `invalid(message)` (a FakeHTTPError factory) for the first violated rule."""
    _check_system(body.get("system"), invalid)
    kinds = {b.get("type") for m in body.get("messages") or [] if isinstance(m, dict)
             and isinstance(m.get("content"), list) for b in m["content"] if isinstance(b, dict)}
    if kinds & {"tool_use", "tool_result"} and not body.get("tools"):
        raise invalid("Requests which include `tool_use` or `tool_result` blocks must define "
                      "tools.")
    seen: set[str] = set()
    for i, msg in enumerate(body.get("messages") or []):
        content = msg.get("content")
        for k, block in enumerate(content if isinstance(content, list) else []):
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text" and not str(block.get("text", "")).strip():
                raise invalid("messages: text content blocks must contain non-whitespace text")
            if block.get("type") == "tool_use":
                tool_id = str(block.get("id", ""))
                if not TOOL_ID.fullmatch(tool_id):
                    raise invalid(f"messages.{i}.content.{k}.tool_use.id: String should match "
                                  "pattern '^[a-zA-Z0-9_-]+$'")
                if tool_id in seen:
                    raise invalid(f"messages.{i}.content.{k}: `tool_use` ids must be unique")
                seen.add(tool_id)
            if block.get("type") == "thinking" and block.get("signature") != signature_for(
                    str(block.get("thinking", ""))):
                raise invalid(f"messages.{i}.content.{k}: Invalid `signature` in `thinking` "
                              "block")
            if block.get("type") == "redacted_thinking" and not _redacted_ok(block.get("data")):
                raise invalid(f"messages.{i}.content.{k}: Invalid `data` in `redacted_thinking` "
                              "block")
    _check_thinking(body, invalid)


def _check_system(system: Any, invalid: Any) -> None:
    if isinstance(system, list):
        for block in system:
            if isinstance(block, dict) and not str(block.get("text", "")).strip():
                raise invalid("system: text content blocks must contain non-whitespace text")


def _check_thinking(body: dict[str, Any], invalid: Any) -> None:
    thinking = body.get("thinking") or {}
    if thinking.get("type") != "enabled":
        return
    budget = thinking.get("budget_tokens")
    if not isinstance(budget, int) or budget < MIN_BUDGET:
        raise invalid("thinking.enabled.budget_tokens: Input should be greater than or equal "
                      "to 1024")
    if budget >= body.get("max_tokens", 0):
        raise invalid("`max_tokens` must be greater than `thinking.budget_tokens`. Please "
                      "consult our documentation at https://docs.claude.com/en/docs/"
                      "build-with-claude/extended-thinking#max-tokens-and-context-window-size")
    if body.get("temperature") not in (None, 1):
        raise invalid("`temperature` may only be set to 1 when thinking is enabled. Please "
                      "consult our documentation at https://docs.claude.com/en/docs/"
                      "build-with-claude/extended-thinking#feature-compatibility")
    if body.get("top_p") is not None and body["top_p"] < 0.95:
        raise invalid("`top_p` must be greater than or equal to 0.95 or unset when thinking is "
                      "enabled.")
    if (body.get("tool_choice") or {}).get("type") in ("any", "tool"):
        raise invalid("Thinking may not be enabled when tool_choice forces tool use.")
    _check_tool_loop(body.get("messages") or [], invalid)


def _blocks(msg: dict[str, Any]) -> list[dict[str, Any]]:
    content = msg.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _check_tool_loop(messages: list[dict[str, Any]], invalid: Any) -> None:
    """The assistant message whose tool_use blocks the last user message answers (with
    tool_result blocks) must open with a thinking block."""
    if len(messages) < 2 or messages[-1].get("role") != "user":
        return
    if not any(b.get("type") == "tool_result" for b in _blocks(messages[-1])):
        return
    i = len(messages) - 2
    assistant = messages[i]
    blocks = _blocks(assistant)
    if assistant.get("role") != "assistant" or not any(b.get("type") == "tool_use"
                                                       for b in blocks):
        return
    first = blocks[0].get("type") if blocks else "nothing"
    if first not in ("thinking", "redacted_thinking"):
        raise invalid(THINKING_FIRST.format(i=i, found=first))
