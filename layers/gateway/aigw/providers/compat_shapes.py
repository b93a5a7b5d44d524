"""What every non-OpenAI chat translation shares: OpenAI's output shapes and request facts.

Anthropic, Cohere (and Google, Bedrock) all answer compat clients with the same
`chat.completion`, `chat.completion.chunk` and `usage` objects, read the same OpenAI request
fields (`max_tokens` vs `max_completion_tokens`, `stop` as a string or a list, `n`), and need the
same way to report an error that arrives inside an already-started stream. Keeping those here
means each provider module holds only what is specific to its provider, and every provider's
output is shaped by one piece of code that the official `openai` SDK is tested against.

Mid-stream errors: a translation's `parse_stream_event` raises `UpstreamStreamError` (a
`GatewayError`) when the upstream reports an error inside the stream, and `finish_stream` raises
it when the upstream stream ended before saying why it stopped. The core is expected to render it
like any other compat error — an SSE `data: {"error": {...}}` event once the response has
started, then the end of the stream without `[DONE]` — never as a `finish_reason`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from aigw.errors import InvalidRequest, UpstreamStreamError
from aigw.providers.spec import StreamEvent, UpstreamCall

__all__ = [
    "REASONING_BUDGETS",
    "ChatFunctions",
    "Chunks",
    "ChunkStream",
    "as_parts",
    "assistant_message",
    "completion",
    "data_url",
    "dispatch",
    "error_text",
    "max_tokens",
    "new_completion_id",
    "reasoning_detail",
    "replayed_details",
    "new_tool_call_id",
    "reasoning_budget",
    "reject_unsupported_choices",
    "stop_sequences",
    "text_only",
    "usage",
]

#: OpenAI `reasoning_effort` -> thinking-token budget, for providers that take a budget
#: (Anthropic `thinking.budget_tokens`, Cohere `thinking.token_budget`). 1024 is Anthropic's
#: documented minimum and the smallest step; "none" means thinking off.
REASONING_BUDGETS: dict[str, int | None] = {
    "none": None,
    "minimal": 1024,
    "low": 2048,
    "medium": 8192,
    "high": 16384,
    "xhigh": 32768,
}


def new_completion_id() -> str:
    """A response id where the upstream gave none: random (uuid4, 122 bits), never a counter
    or a hash of the content, so two answers never share one (issue 9, kind 4)."""
    return f"chatcmpl-{uuid.uuid4().hex}"


def new_tool_call_id() -> str:
    """A tool-call id where the upstream gave none (Gemini): random, and within every
    provider's id grammar (`[a-zA-Z0-9_-]`, Anthropic's strictest), so a conversation can carry
    it to another provider that requires unique ids."""
    return f"call_{uuid.uuid4().hex}"


def now() -> int:
    """Unix seconds for `created`; the upstream formats carry no usable timestamp."""
    return int(time.time())


def usage(prompt: int, completion_tokens: int, *, cached: int | None = None,
          cache_write: int | None = None, reasoning: int | None = None) -> dict[str, Any]:
    """OpenAI `usage`; detail objects appear only when the upstream reported those counts."""
    out: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion_tokens,
                           "total_tokens": prompt + completion_tokens}
    prompt_details = {k: v for k, v in (("cached_tokens", cached),
                                        ("cache_write_tokens", cache_write)) if v is not None}
    if prompt_details:
        out["prompt_tokens_details"] = prompt_details
    if reasoning is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return out


def assistant_message(texts: list[str], tool_calls: list[dict[str, Any]],
                      reasoning: list[str],
                      details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An OpenAI assistant message; `content` is null when the model wrote no text.

    Reasoning text goes in `reasoning_content`, and the provider's reasoning blocks (with their
    signatures) in `reasoning_details` (see `reasoning_detail`): fields OpenAI's SDK keeps as
    extras, so a client that appends the message as received sends them back.
    """
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None,
                               "refusal": None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    if "".join(reasoning):
        message["reasoning_content"] = "".join(reasoning)
    if details:
        message["reasoning_details"] = details
    return message


#: `reasoning_details[].format` per provider family: whose signatures an entry carries. A
#: signature is only valid for the API that made it, so entries of another format are not
#: replayed to a provider.
ANTHROPIC_FORMAT = "anthropic-claude-v1"
BEDROCK_FORMAT = "aws-bedrock-converse-v1"


def reasoning_detail(index: int, fmt: str, *, text: str | None = None,
                     signature: str | None = None, data: str | None = None) -> dict[str, Any]:
    """One `reasoning_details` entry (OpenRouter's documented shape, which aigw adopts):

        {"type": "reasoning.text", "text", "signature"?, "format", "index"}   readable thinking
        {"type": "reasoning.encrypted", "data", "format", "index"}            redacted thinking

    `index` numbers the entries of one message, so stream deltas merge by it exactly as the
    openai SDK merges `tool_calls` (its `accumulate_delta`), and the non-stream message carries
    the same numbers.
    """
    if data is not None:
        return {"type": "reasoning.encrypted", "data": data, "format": fmt, "index": index}
    out: dict[str, Any] = {"type": "reasoning.text", "text": text or "", "format": fmt,
                           "index": index}
    if signature:
        out["signature"] = signature
    return out


def replayed_details(message: dict[str, Any], fmt: str) -> list[dict[str, Any]]:
    """The reasoning entries a client sent back on an assistant message, in order: aigw's
    `reasoning_details` of format `fmt`, or LiteLLM's `thinking_blocks` (Anthropic block shape)
    translated to the same entries. Anything else is ignored."""
    found: list[dict[str, Any]] = []
    details = message.get("reasoning_details")
    for d in details if isinstance(details, list) else []:
        if isinstance(d, dict) and d.get("format", fmt) == fmt and d.get("type") in (
                "reasoning.text", "reasoning.encrypted"):
            found.append(d)
    blocks = message.get("thinking_blocks")
    if not found and isinstance(blocks, list):
        for b in blocks:
            if isinstance(b, dict) and b.get("type") == "thinking":
                found.append(reasoning_detail(len(found), fmt, text=b.get("thinking"),
                                              signature=b.get("signature")))
            elif isinstance(b, dict) and b.get("type") == "redacted_thinking":
                found.append(reasoning_detail(len(found), fmt, data=b.get("data")))
    return sorted(found, key=lambda d: d.get("index", 0) if isinstance(d.get("index"), int)
                  else 0)


def completion(*, id: str, model: str, message: dict[str, Any], finish_reason: str,
               usage: dict[str, Any] | None) -> dict[str, Any]:
    """An OpenAI `chat.completion` with one choice."""
    out: dict[str, Any] = {
        "id": id, "object": "chat.completion", "created": now(), "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": finish_reason}],
    }
    if usage is not None:
        out["usage"] = usage
    return out


@dataclass
class ChunkStream:
    """The part of a stream state every translation has: ids, and how chunks are shaped.

    Provider states subclass it and add what their event sequence needs to remember.
    """

    model: str
    include_usage: bool
    #: The upstream's own id replaces this when its stream carries one.
    id: str = field(default_factory=new_completion_id)
    created: int = field(default_factory=now)
    #: Set once the upstream said why it stopped; a stream that ends before this was cut off.
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    #: Set once the usage chunk (or the decision not to send one) is done.
    closed: bool = False
    #: OpenAI tool-call indexes that have received a non-empty arguments fragment.
    with_arguments: set[int] = field(default_factory=set)

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None,
                             "finish_reason": finish_reason}]}

    def tool_arguments_sent(self, index: int, fragment: str) -> None:
        """Note an arguments fragment of tool call `index`; whitespace alone is not JSON yet."""
        if fragment.strip():
            self.with_arguments.add(index)

    def empty_arguments(self, index: int | None) -> list[dict[str, Any]]:
        """The chunk a finished tool call still owes when no fragment had any text: `"{}"`.

        Anthropic streams a call to a tool without parameters as `input: {}` then one empty
        `partial_json`; Bedrock and Cohere may send no fragment at all. The non-stream answer
        says `"{}"`, so the stream must too: arguments are always a JSON object string.
        """
        if index is None or index in self.with_arguments:
            return []
        self.with_arguments.add(index)
        return [self.chunk({"tool_calls": [{"index": index, "function": {"arguments": "{}"}}]})]

    def close(self) -> list[dict[str, Any]]:
        """The final usage chunk (`choices: []`) when the client asked for it, once."""
        if self.closed:
            return []
        self.closed = True
        if not self.include_usage or self.usage is None:
            return []
        return [{"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                 "model": self.model, "choices": [], "usage": self.usage}]

    def finish(self, provider: str) -> list[dict[str, Any]]:
        """`finish_stream` for every translation: usage if owed, an error if cut off."""
        if self.finish_reason is None:
            raise UpstreamStreamError(f"{provider} stream ended before the response was complete")
        return self.close()


Chunks = list[dict[str, Any]]
S = TypeVar("S", bound=ChunkStream)


def dispatch(handlers: Mapping[str, Callable[[S, dict[str, Any]], Chunks]], state: S,
             event: StreamEvent) -> Chunks:
    """Run the handler for an event's type (the JSON `type`, else the SSE event name).

    Providers add event types over time; one without a handler produces nothing.
    """
    kind = event.data.get("type") or event.event or ""
    handler = handlers.get(kind)
    return handler(state, event.data) if handler is not None else []


@dataclass
class ChatFunctions:
    """A `ChatTranslation` assembled from a provider module's plain functions.

    Translations are stateless, so a record of functions is all one needs: no class per
    provider. (Not frozen only because `ChatTranslation` declares `stream_framing` as a plain,
    settable attribute; nothing assigns to it.)
    """

    build_request: Callable[[dict[str, Any], str], UpstreamCall]
    parse_response: Callable[[dict[str, Any], str], dict[str, Any]]
    new_stream_state: Callable[[str, bool], Any]
    parse_stream_event: Callable[[Any, StreamEvent], Chunks]
    finish_stream: Callable[[Any], Chunks]
    error_message: Callable[[int, Any], str]
    stream_framing: Literal["sse", "aws-eventstream"] = "sse"


def max_tokens(body: dict[str, Any]) -> int | None:
    """`max_completion_tokens` (current OpenAI name) wins over the deprecated `max_tokens`."""
    value = body.get("max_completion_tokens")
    if value is None:
        value = body.get("max_tokens")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidRequest("max_tokens must be a positive integer", param="max_tokens")
    return value


def stop_sequences(body: dict[str, Any]) -> list[str] | None:
    """OpenAI `stop` is a string or a list of strings; providers take a list."""
    stop = body.get("stop")
    if stop is None:
        return None
    stops = [stop] if isinstance(stop, str) else stop
    if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
        raise InvalidRequest("stop must be a string or a list of strings", param="stop")
    return stops or None


def reasoning_budget(body: dict[str, Any]) -> tuple[bool, int | None]:
    """(given, budget) from `reasoning_effort`; budget None with given=True means "off"."""
    effort = body.get("reasoning_effort")
    if effort is None:
        return False, None
    if effort not in REASONING_BUDGETS:
        raise InvalidRequest(f"unknown reasoning_effort '{effort}'; expected one of "
                             f"{', '.join(REASONING_BUDGETS)}", param="reasoning_effort")
    return True, REASONING_BUDGETS[effort]


def reject_unsupported_choices(body: dict[str, Any], provider: str) -> None:
    """`n > 1` and token logprobs have no equivalent in these providers' chat APIs."""
    n = body.get("n")
    if n is not None and n != 1:
        raise InvalidRequest(f"{provider} returns one choice per request; n must be 1",
                             param="n")
    if body.get("logprobs") or body.get("top_logprobs"):
        raise InvalidRequest(f"{provider} does not return token logprobs through compat",
                             param="logprobs")


def data_url(url: str, where: str = "messages") -> tuple[str, str] | None:
    """`data:<media type>;base64,<data>` -> (media type, data); None for other URLs."""
    if not url.startswith("data:"):
        return None
    head, sep, data = url[5:].partition(",")
    media_type, _, encoding = head.partition(";")
    if not sep or encoding != "base64" or not media_type:
        raise InvalidRequest(f"{where}: data URLs must look like data:<media type>;base64,<data>",
                             param=where)
    return media_type, data


def as_parts(content: Any, where: str) -> list[dict[str, Any]]:
    """OpenAI message content (a string or a list of parts) as a list of parts."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content must be a string or a list of parts",
                             param=f"{where}.content")
    for j, part in enumerate(content):
        if not isinstance(part, dict):
            raise InvalidRequest(f"{where}.content[{j}] must be an object",
                                 param=f"{where}.content")
    return content


def text_only(content: Any, where: str) -> str:
    """Content that must be plain text (system, developer, tool): a string or text parts."""
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for j, part in enumerate(as_parts(content, where)):
        if part.get("type") != "text":
            raise InvalidRequest(f"{where}.content[{j}]: only text parts are allowed here, "
                                 f"got '{part.get('type')}'", param=f"{where}.content")
        texts.append(str(part.get("text", "")))
    return "\n".join(texts)


def error_text(provider: str, status: int, data: Any, message: Any) -> str:
    """The upstream's error message if it had one, its raw text if not JSON, else a status."""
    if isinstance(message, str) and message:
        return message
    if isinstance(data, str) and data.strip():
        return data.strip()
    return f"{provider} returned HTTP {status}"
