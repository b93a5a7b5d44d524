"""Reasoning on the Bedrock fake's Converse: what a reasoning model answers and requires.

With `outputConfig.effort` set, the fake's answer opens with a `reasoningContent` block
(`reasoningText` {text, signature}; a `redactedContent` block too when the prompt says
"redact"), streamed as reasoningContent deltas. As for Claude on Bedrock with reasoning on, the
last assistant turn of a tool loop (the turn whose toolUse blocks the last user turn answers)
must open with its reasoningContent, and a signature or redacted payload must be one the fake
issued; otherwise a 400 ValidationException with the model's message.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.upstreams import anthropic_rules

FIRST = ("The model returned the following errors: messages.{i}.content.0.type: Expected "
         "`thinking` or `redacted_thinking`, but found `{found}`. When `thinking` is enabled, a "
         "final `assistant` message must start with a thinking block (preceeding the lastmost "
         "set of `tool_use` and `tool_result` blocks).")


def enabled(body: dict[str, Any]) -> bool:
    return bool((body.get("outputConfig") or {}).get("effort"))


def blocks_for(body: dict[str, Any], prompt: str) -> list[dict[str, Any]]:
    """The reasoning blocks an answer opens with (none when reasoning is off)."""
    if not enabled(body):
        return []
    thought = f"Thinking about: {prompt}"
    out: list[dict[str, Any]] = [{"reasoningContent": {"reasoningText": {
        "text": thought, "signature": anthropic_rules.signature_for(thought)}}}]
    if "redact" in prompt:
        out.append({"reasoningContent": {
            "redactedContent": anthropic_rules.redacted_data_for(prompt)}})
    return out


def deltas_for(block: dict[str, Any]) -> list[dict[str, Any]]:
    """ConverseStream deltas of one reasoning block: text in two pieces, then the signature."""
    content = block["reasoningContent"]
    if "redactedContent" in content:
        return [{"reasoningContent": {"redactedContent": content["redactedContent"]}}]
    text = content["reasoningText"]
    half = len(text["text"]) // 2
    return [{"reasoningContent": {"text": text["text"][:half]}},
            {"reasoningContent": {"text": text["text"][half:]}},
            {"reasoningContent": {"signature": text["signature"]}}]


def check(body: dict[str, Any], invalid: Any) -> None:
    """Raise `invalid(message)` for a forged block or a tool loop that lost its reasoning."""
    messages = body.get("messages") or []
    for i, msg in enumerate(messages):
        for j, block in enumerate(msg.get("content") or []):
            content = block.get("reasoningContent") if isinstance(block, dict) else None
            if not isinstance(content, dict):
                continue
            text = content.get("reasoningText")
            if isinstance(text, dict) and text.get("signature") != anthropic_rules.signature_for(
                    str(text.get("text", ""))):
                raise invalid(f"The model returned the following errors: messages.{i}.content."
                              f"{j}: Invalid `signature` in `thinking` block")
    if not enabled(body) or len(messages) < 2:
        return
    last, before = messages[-1], messages[-2]
    if before.get("role") != "assistant" or not any("toolResult" in b for b in last["content"]):
        return
    blocks = before.get("content") or []
    if any("toolUse" in b for b in blocks) and "reasoningContent" not in blocks[0]:
        found = "tool_use" if "toolUse" in blocks[0] else "text"
        raise invalid(FIRST.format(i=len(messages) - 2, found=found))
