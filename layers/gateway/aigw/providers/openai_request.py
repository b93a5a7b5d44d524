"""Reading OpenAI chat requests: tool-call pairing, tool declarations, content parts, turns.

Facts about the *client's* format that every translation needs read the same way: which tool
call a `tool` message answers, the order results must follow, how a history folds into
alternating turns. Translations turn these into their own blocks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aigw.errors import InvalidRequest
from aigw.json_input import parse_json
from aigw.providers.compat_shapes import text_only

Message = dict[str, Any]

_TOOL_ID_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def blank(text: Any) -> bool:
    """Text that Anthropic and Bedrock refuse as a content block (empty or whitespace only);
    it carries nothing, so translations leave such blocks out."""
    return not isinstance(text, str) or not text.strip()


@dataclass
class ToolIds:
    """Client tool-call ids as a provider's `tool_use` / `toolUse` ids, call and result alike.

    Anthropic and Bedrock take ids of `[a-zA-Z0-9_-]` only (Bedrock: at most 64), and Anthropic
    requires every `tool_use` id in a conversation to be unique. OpenAI-compatible servers often
    number calls per answer (`call_0` in every turn), so an id seen in an earlier assistant turn
    gets a suffix (`call_0_2`), and the tool messages that answer that turn use the same one:
    results pair with the calls of the turn just before them, as every API pairs them.
    Characters outside the grammar become `_`; an id over `limit` is shortened to its head plus
    a digest of the whole. Deterministic for a given history: the same request translates the
    same way every time (the ids are the client's, not synthesised ones).
    """

    limit: int = 64
    used: set[str] = field(default_factory=set)
    #: Client id -> provider id, for the latest assistant turn that used it.
    current: dict[str, str] = field(default_factory=dict)

    def clean(self, raw: Any) -> str:
        safe = _TOOL_ID_UNSAFE.sub("_", str(raw)) or "call"
        if len(safe) > self.limit:
            digest = hashlib.sha256(str(raw).encode()).hexdigest()[:16]
            safe = f"{safe[:self.limit - 17]}_{digest}"
        return safe

    def call(self, raw: Any) -> str:
        """The id for a call in an assistant turn (unique over the conversation)."""
        base = candidate = self.clean(raw)
        n = 1
        while candidate in self.used:
            n += 1
            suffix = f"_{n}"
            candidate = base[:self.limit - len(suffix)] + suffix
        self.used.add(candidate)
        self.current[str(raw)] = candidate
        return candidate

    def result(self, raw: Any) -> str:
        """The id a tool message's result refers to: its call's, as `call` renamed it."""
        return self.current.get(str(raw)) or self.clean(raw)



def _call_order(calls: dict[str, tuple[str, int]]) -> Any:
    return lambda item: calls.get(str(item[1].get("tool_call_id")), ("", 0))[1]


def tool_calls_by_id(messages: list[Any]) -> dict[str, tuple[str, int]]:
    """Every assistant tool call's id -> (function name, its position within its turn)."""
    found: dict[str, tuple[str, int]] = {}
    for m in messages:
        if not isinstance(m, dict) or m.get("role") != "assistant":
            continue
        for pos, call in enumerate(m.get("tool_calls") or []):
            if isinstance(call, dict):
                found[str(call.get("id"))] = ((call.get("function") or {}).get("name", ""), pos)
    return found


def in_call_order(messages: list[Any],
                  calls: dict[str, tuple[str, int]]) -> list[tuple[int, Message]]:
    """(index, message) pairs, each run of tool messages sorted into the order of the calls.

    Clients may answer parallel calls in any order; Gemini pairs results with calls by
    position and Bedrock wants them in the turn right after, so both get call order.
    """
    out: list[tuple[int, Message]] = []
    run: list[tuple[int, Message]] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            raise InvalidRequest(f"messages[{i}] must be an object", param=f"messages[{i}]")
        if m.get("role") == "tool":
            run.append((i, m))
            continue
        out += sorted(run, key=_call_order(calls)) + [(i, m)]
        run = []
    return out + sorted(run, key=_call_order(calls))


def call_name(message: Message, where: str, calls: dict[str, tuple[str, int]]) -> str:
    """The function a tool message answers; an unknown id is the client's mistake."""
    call_id = str(message.get("tool_call_id"))
    if call_id not in calls:
        raise InvalidRequest(f"{where}.tool_call_id '{call_id}' matches no assistant tool call "
                             "earlier in messages", param=f"{where}.tool_call_id")
    return calls[call_id][0]


def call_arguments(call: dict[str, Any], where: str) -> dict[str, Any]:
    """A tool call's `arguments` string as the object both providers want."""
    raw = (call.get("function") or {}).get("arguments") or "{}"
    try:
        value = parse_json(raw) if isinstance(raw, str) else raw
    except ValueError as e:
        raise InvalidRequest(f"{where}.function.arguments is not valid JSON",
                             param=f"{where}.function.arguments") from e
    if not isinstance(value, dict):
        raise InvalidRequest(f"{where}.function.arguments must be a JSON object",
                             param=f"{where}.function.arguments")
    return value


def tool_result(message: Message, where: str) -> tuple[Any, str]:
    """(the content parsed as JSON, or None; the content as text) of a tool message."""
    text = text_only(message.get("content") or "", where)
    try:
        return parse_json(text), text
    except ValueError:
        return None, text


def function_tools(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The `function` objects of `tools`; other tool types cannot be forwarded."""
    tools = body.get("tools") or []
    out = []
    for i, tool in enumerate(tools if isinstance(tools, list) else [None]):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(tool, dict) or tool.get("type") != "function" \
                or not isinstance(fn, dict) or not fn.get("name"):
            raise InvalidRequest(f"tools[{i}] must be a function tool with a name",
                                 param=f"tools[{i}]")
        out.append(fn)
    return out


def tool_choice(body: dict[str, Any]) -> tuple[str, str | None]:
    """("auto" | "none" | "required" | "function", the forced function's name)."""
    choice = body.get("tool_choice")
    if choice is None:
        return "auto", None
    if choice in ("auto", "none", "required"):
        return choice, None
    name = (choice.get("function") or {}).get("name") if isinstance(choice, dict) else None
    if isinstance(choice, dict) and choice.get("type") == "function" and name:
        return "function", name
    raise InvalidRequest("tool_choice must be 'auto', 'none', 'required' or "
                         "{'type': 'function', 'function': {'name': ...}}", param="tool_choice")


def image_url(part: dict[str, Any]) -> str:
    """The URL of an `image_url` part (the object form, or the bare string some clients send)."""
    image = part.get("image_url")
    return str(image.get("url", "") if isinstance(image, dict) else image or "")


def user_content(message: Message, where: str, convert: Callable[[dict[str, Any], str], Any],
                 ) -> list[Any]:
    """A user message's parts through `convert`; a string is one text part, and parts that
    convert to nothing (empty text) are left out."""
    content = message.get("content")
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    if not isinstance(content, list) or not all(isinstance(p, dict) for p in content):
        raise InvalidRequest(f"{where}.content must be a string or a list of parts",
                             param=f"{where}.content")
    blocks = [convert(p, f"{where}.content[{j}]") for j, p in enumerate(content)]
    return [b for b in blocks if b]


#: Converts one user, assistant or tool message (with its position and the history's tool
#: calls) into the provider's content blocks.
BlockFn = Callable[[Message, str, dict[str, tuple[str, int]]], list[dict[str, Any]]]


def turns_of(messages: list[Any], key: str, assistant_role: str,
             blocks: dict[str, BlockFn]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(system text blocks, turns): the walk over the history both translations share.

    System and developer messages, wherever they stand, become `{"text"}` blocks in order;
    user and tool messages become "user" turns, assistant ones `assistant_role` turns, with
    each turn's blocks under `key` and consecutive turns of one role merged.
    """
    calls = tool_calls_by_id(messages)
    system: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    for i, m in in_call_order(messages, calls):
        where, role = f"messages[{i}]", m.get("role")
        if role in ("system", "developer"):
            text = text_only(m.get("content") or "", where)
            system += [] if blank(text) else [{"text": text}]
        elif role in blocks:
            turn_role = assistant_role if role == "assistant" else "user"
            new = blocks[role](m, where, calls)
            if new and turns and turns[-1]["role"] == turn_role:
                turns[-1][key].extend(new)
            elif new:
                turns.append({"role": turn_role, key: new})
        else:
            raise InvalidRequest(f"{where}.role '{role}' is not supported",
                                 param=f"{where}.role")
    if not turns:
        raise InvalidRequest("messages needs at least one user or assistant message",
                             param="messages")
    return system, turns


# ----------------------------------------------------------------- Converse messages


def embedding_texts(body: dict[str, Any]) -> list[str]:
    """OpenAI `input` (a string or a list of strings) as a list; token arrays are refused."""
    value = body.get("input")
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise InvalidRequest("input must be a string or a non-empty list of strings "
                             "(token arrays are not supported for this provider)", param="input")
    return texts


def embedding_list(vectors: list[list[float]], model: str, prompt_tokens: int) -> dict[str, Any]:
    """The OpenAI `{"object": "list", ...}` embeddings answer."""
    return {"object": "list",
            "data": [{"object": "embedding", "index": i, "embedding": v}
                     for i, v in enumerate(vectors)],
            "model": model,
            "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}}
