"""What a provider is: a declaration the core reads, never code the core branches on.

A `Provider` says where requests go (`route`), how a stored credential is attached (`auth`), which
client headers count as the client's own credential, and — for providers that do not speak
OpenAI's chat format — the `ChatTranslation` compat uses. OpenAI-shaped providers are rows of
data in `openai_like.py`; the others have a module each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, Protocol

AuthKind = Literal["header", "sigv4", "google_token"]


@dataclass(frozen=True)
class AuthScheme:
    """How the gateway attaches a stored credential, and how it recognises a client's own.

    kind:
      header        the secret goes into `header` as `prefix + secret` (Bearer, x-api-key, ...)
      sigv4         the secret is AWS credentials JSON; the gateway signs (service `service`)
      google_token  the secret is a service-account JSON; the gateway mints an access token
    """

    kind: AuthKind = "header"
    header: str = "authorization"
    prefix: str = "Bearer "
    #: Lower-case request headers whose presence means "the client brought a credential".
    client_headers: tuple[str, ...] = ("authorization",)
    #: Query parameters that carry a client credential (Google's `?key=`).
    client_query_params: tuple[str, ...] = ()
    #: Headers added when the client did not send them (e.g. `anthropic-version`).
    default_headers: tuple[tuple[str, str], ...] = ()
    #: SigV4 service name.
    service: str = ""


@dataclass(frozen=True)
class Target:
    """Where one request goes: `origin` (scheme://host[:port]) + `path` (starts with /)."""

    origin: str
    path: str
    #: AWS region for SigV4 signing; Google region for Vertex.
    region: str | None = None

    @property
    def url(self) -> str:
        return self.origin + self.path


@dataclass(frozen=True)
class RouteContext:
    """What a provider may use to build a target. `base` already has overrides applied."""

    account_id: str
    base: str


#: Turns the client's path after `/{provider}` (e.g. "/chat/completions") into a Target, or
#: raises `aigw.errors.InvalidRequest` if a host-forming segment breaks the provider's grammar.
RouteFn = Callable[[str, RouteContext], Target]


# --------------------------------------------------------------------------- compat translation

@dataclass
class UpstreamCall:
    """A translated chat (or embeddings) request, before credentials are attached.

    `path` is appended to the provider's base. It may contain the placeholders `{project}` and
    `{region}`, which the core fills from the credential in use (a Vertex service account's
    `project_id`, the region of stored AWS credentials) or the deployment's defaults.
    """

    path: str  # may include a query string, e.g. "...:streamGenerateContent?alt=sse"
    body: dict[str, Any]
    stream: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    #: Bedrock: the AWS region; Vertex: the location. Used by `route`-less providers.
    region: str | None = None


@dataclass
class StreamEvent:
    """One decoded upstream stream event, whatever its framing.

    SSE: `event` is the SSE `event:` field (or None) and `data` the parsed JSON of `data:`.
    AWS event stream (Bedrock): `event` is the `:event-type` header, `data` the parsed payload.
    """

    event: str | None
    data: dict[str, Any]


@dataclass
class Usage:
    """Token counts one answer reported, in one shape for every provider.

    `input_tokens` counts every prompt token, cache reads and writes included (OpenAI's
    `prompt_tokens`); `output_tokens` every generated token, reasoning included (what providers
    bill as output). The parts are `None` when the provider did not report them. `model` is the
    model the answer names, if any (Azure deployments, aliases): prices fall back to it.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    model: str | None = None

    def updated(self, later: Usage | None) -> Usage:
        """This usage with every field `later` reports replacing ours (streams report in parts,
        and a later count supersedes an earlier one)."""
        if later is None:
            return self
        return Usage(**{f.name: (getattr(later, f.name) if getattr(later, f.name) is not None
                                 else getattr(self, f.name)) for f in fields(Usage)})

    @property
    def reported(self) -> bool:
        return self.input_tokens is not None or self.output_tokens is not None


@dataclass(frozen=True)
class UsageReader:
    """How usage is read from one provider's answers: a JSON body, stream events, headers.

    The core picks the decoder by the answer's content type (SSE, AWS event stream, JSON) and
    hands each decoded piece to the reader; readers never see bytes or do I/O.
    """

    #: A whole JSON answer (an object; a list for Gemini's non-SSE stream) -> Usage or None.
    body: Callable[[Any], Usage | None]
    #: One decoded stream event -> the usage it reports (partial counts are fine: the core
    #: merges events with `Usage.updated`), or None.
    event: Callable[[StreamEvent], Usage | None]
    #: (path after the provider, parsed JSON request body or None) -> model name, or None.
    model: Callable[[str, Any], str | None]
    #: Byte strings of which an SSE event's data must contain one to be worth parsing (a cheap
    #: filter on the hot path); empty: parse every event.
    markers: tuple[bytes, ...] = ()
    #: Response headers -> usage (Bedrock's invoke reports counts as headers), or None.
    headers: Callable[[Mapping[str, str]], Usage | None] | None = None


class ChatTranslation(Protocol):
    """Pure functions between OpenAI chat and one provider's format. No I/O, no logging.

    `model` is the model name without the provider prefix. Raise `aigw.errors.InvalidRequest`
    (with `param`) for what the target cannot express.
    """

    #: How the core decodes this provider's stream: "sse" or "aws-eventstream".
    @property
    def stream_framing(self) -> Literal["sse", "aws-eventstream"]: ...

    def build_request(self, body: dict[str, Any], model: str) -> UpstreamCall: ...

    def parse_response(self, data: dict[str, Any], model: str) -> dict[str, Any]:
        """Upstream JSON -> OpenAI `chat.completion` object."""
        ...

    def new_stream_state(self, model: str, include_usage: bool) -> Any: ...

    def parse_stream_event(self, state: Any, event: StreamEvent) -> list[dict[str, Any]]:
        """One upstream event -> zero or more OpenAI `chat.completion.chunk` objects."""
        ...

    def finish_stream(self, state: Any) -> list[dict[str, Any]]:
        """Chunks still owed when the upstream stream ends (e.g. the usage chunk)."""
        ...

    def error_message(self, status: int, data: Any) -> str:
        """The upstream's own error message, carried into OpenAI's error shape."""
        ...


class EmbeddingsTranslation(Protocol):
    """Pure functions between OpenAI `/embeddings` and one provider's embeddings API."""

    def build_request(self, body: dict[str, Any], model: str) -> UpstreamCall: ...

    def parse_response(self, data: dict[str, Any], model: str) -> dict[str, Any]:
        """Upstream JSON -> OpenAI `{"object": "list", "data": [...], "model", "usage"}`."""
        ...


@dataclass(frozen=True)
class Provider:
    slug: str
    #: Default upstream base (origin + base path). Host-templated providers document the
    #: placeholders their `route` fills; `AIGW_UPSTREAM_<SLUG>` replaces it.
    base_url: str
    auth: AuthScheme = AuthScheme()
    route: RouteFn | None = None
    #: Compat: None means OpenAI-shaped (the body passes through with `model` rewritten).
    chat: ChatTranslation | None = None
    #: Compat: path of the OpenAI-shaped chat completions endpoint under the base.
    chat_path: str = "/chat/completions"
    embeddings_path: str | None = "/embeddings"
    #: Compat embeddings for providers that are not OpenAI-shaped there.
    embeddings: EmbeddingsTranslation | None = None
    #: Whether compat may use this provider at all.
    compat: bool = True
    #: Compat: prepended to translated paths so `route` sees a passthrough-shaped path
    #: (Bedrock: "/bedrock-runtime/{region}"; Azure: "/{model}" = "/{resource}/{deployment}").
    compat_prefix: str = ""
    #: Compat: (regex the model part must fully match, the shape to tell the client) — for
    #: providers whose "model" carries path parts (Azure's resource and deployment).
    compat_model_format: tuple[str, str] | None = None
    #: Compat: the `{region}` used when the credential names none (None: the deployment's).
    default_region: str | None = None
    #: How usage is read from this provider's answers; None: OpenAI-shaped (chat, completions,
    #: embeddings, Responses API).
    usage: UsageReader | None = None
    #: The provider's id in the `genai-prices` catalogue (None: no list prices, cost null).
    prices: str | None = None
    #: Whether an OpenAI-shaped stream may be asked for usage (`stream_options.include_usage`)
    #: when the client did not ask: only providers known to accept the option.
    stream_usage_option: bool = False
