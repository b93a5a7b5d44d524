"""Provider stop/finish reasons -> OpenAI `finish_reason`, and the rule for values not listed.

Each translation keeps its own table of every reason its provider documents (the tables and
their sources are listed in the README, "Finish reasons"). A value a provider adds later is
not silently read as a normal end: `finish_reason` logs it (one WARNING, the provider and the
raw value only) and maps it by its name, so a new "...SAFETY" or "..._TOKENS" reason still tells
the client the answer was filtered or cut:

    name mentions a filter (SAFETY, BLOCK, PROHIBIT, FILTER, REFUS, GUARD, RECITATION, SPII,
                            HARM, TOXIC, POLICY, ARMOR)                        -> content_filter
    name mentions a limit  (TOKEN, LENGTH, LIMIT, TRUNCAT, CONTEXT, MAX)       -> length
    name mentions a tool   (TOOL, FUNCTION) and the answer holds tool calls    -> tool_calls
    anything else                                                              -> stop

A missing reason (null) is not a value to map: it reads as "stop" (with tool calls:
"tool_calls"), without a log line. Logging lives here, the one impure corner of the
translations, so that the rule and its trace are defined once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

logger = logging.getLogger("aigw.providers")

#: OpenAI's finish_reason values.
OPENAI_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})

_FILTERED = re.compile(r"SAFETY|BLOCK|PROHIBIT|FILTER|REFUS|GUARD|RECITATION|SPII|HARM|TOXIC|"
                       r"POLICY|ARMOR", re.IGNORECASE)
_CUT = re.compile(r"TOKEN|LENGTH|LIMIT|TRUNCAT|CONTEXT|MAX", re.IGNORECASE)
_TOOL = re.compile(r"TOOL|FUNCTION", re.IGNORECASE)


def by_rule(reason: str, called: bool) -> str:
    """The documented rule for a reason no table lists (see the module docstring)."""
    if _FILTERED.search(reason):
        return "content_filter"
    if _CUT.search(reason):
        return "length"
    if _TOOL.search(reason) and called:
        return "tool_calls"
    return "stop"


def finish_reason(table: Mapping[str, str], reason: str | None, provider: str, *,
                  called: bool = False) -> str:
    """`reason` through `table`; unknown values logged and mapped `by_rule`.

    `called` says whether the answer holds tool calls: a normal end of such an answer is
    "tool_calls" (Gemini and Bedrock say STOP/end_turn after a call in some models).
    """
    if not reason:
        return "tool_calls" if called else "stop"
    mapped = table.get(reason)
    if mapped is None:
        mapped = by_rule(reason, called)
        logger.warning("unknown finish reason %r from %s mapped to %r", reason[:64], provider,
                       mapped)
    return "tool_calls" if called and mapped == "stop" else mapped
