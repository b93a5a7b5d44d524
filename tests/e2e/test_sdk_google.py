"""The official `google-genai` SDK against the local gateway: Google AI Studio and Vertex AI.

Only `http_options.base_url` changes. AI Studio is driven with the SDK's default API version
(`v1`) and with `v1beta`; Vertex with the gateway's stored service account (the SDK sends no
credential of its own) and with the client's own OAuth token, which the gateway forwards.
"""

from __future__ import annotations

import pytest
from google import genai
from google.genai import errors, types
from google.oauth2 import service_account

from tests.e2e.sdk_stack import SdkStack
from tests.fakes import credentials
from tests.fakes.upstreams import google_ai_studio

MODEL = "gemini-2.5-flash"
SDK_DEFAULT_VERSION = "v1"
"""What google-genai 3.x puts in the path for AI Studio unless told otherwise (1.x: v1beta)."""
WEATHER = types.FunctionDeclaration(
    name="get_weather", description="Current weather for a city",
    parameters=types.Schema(type=types.Type.OBJECT,
                            properties={"city": types.Schema(type=types.Type.STRING)},
                            required=["city"]))
NO_AUTO_CALLS = types.AutomaticFunctionCallingConfig(disable=True)


def studio_client(stack: SdkStack, api_version: str | None) -> genai.Client:
    return genai.Client(api_key=credentials.GOOGLE_AI_STUDIO_KEY, http_options=types.HttpOptions(
        base_url=stack.url("google-ai-studio"), api_version=api_version,
        headers=stack.gateway_auth, httpx_client=stack.httpx_client()))


@pytest.fixture(scope="module", params=[None, "v1beta"], ids=["default-version", "v1beta"])
def api_version(request: pytest.FixtureRequest) -> str | None:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def studio(api_version: str | None, sdk_stack: SdkStack) -> genai.Client:
    return studio_client(sdk_stack, api_version)


def test_generate_content(studio: genai.Client, api_version: str | None,
                          stack: SdkStack) -> None:
    response = studio.models.generate_content(
        model=MODEL, contents="Say hello",
        config=types.GenerateContentConfig(system_instruction="Be terse", max_output_tokens=50))

    assert isinstance(response, types.GenerateContentResponse)
    assert response.text == "Echo: Say hello"
    assert response.candidates and response.candidates[0].finish_reason == types.FinishReason.STOP
    usage = response.usage_metadata
    assert usage is not None and usage.prompt_token_count and usage.candidates_token_count
    sent = stack.google.recorder.last
    assert sent.path == f"/{api_version or SDK_DEFAULT_VERSION}/models/{MODEL}:generateContent"
    assert sent.headers["x-goog-api-key"] == credentials.GOOGLE_AI_STUDIO_KEY
    assert not any(h.startswith("cf-aig-") for h in sent.headers)


def test_generate_content_stream(studio: genai.Client, stack: SdkStack) -> None:
    chunks = list(studio.models.generate_content_stream(model=MODEL, contents="one two three"))

    assert len(chunks) > 1
    assert "".join(c.text or "" for c in chunks) == "Echo: one two three"
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata and last.usage_metadata.total_token_count
    sent = stack.google.recorder.last
    assert sent.path.endswith(f"/models/{MODEL}:streamGenerateContent") and sent.query == "alt=sse"


def test_function_calling_round_trip(studio: genai.Client) -> None:
    config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[WEATHER])],
                                         automatic_function_calling=NO_AUTO_CALLS)
    question = types.Content(role="user", parts=[types.Part(text="Weather in Rome?")])
    first = studio.models.generate_content(model=MODEL, contents=[question], config=config)

    assert first.function_calls and len(first.function_calls) == 1
    call = first.function_calls[0]
    assert call.name == "get_weather" and call.args == {"city": "Weather in Rome?"}

    answer = types.Part.from_function_response(name="get_weather", response={"temp": "25C"})
    assert first.candidates and first.candidates[0].content
    second = studio.models.generate_content(
        model=MODEL, config=config,
        contents=[question, first.candidates[0].content, types.Content(role="user",
                                                                      parts=[answer])])
    assert second.text == 'The tool returned: {"temp": "25C"}'


def test_embed_and_count_tokens(studio: genai.Client, stack: SdkStack) -> None:
    embedded = studio.models.embed_content(model="gemini-embedding-001", contents=["a b", "c"],
                                           config=types.EmbedContentConfig(
                                               output_dimensionality=32))
    assert embedded.embeddings and [len(e.values or []) for e in embedded.embeddings] == [32, 32]
    assert stack.google.recorder.last.path.endswith(":batchEmbedContents")

    counted = studio.models.count_tokens(model=MODEL, contents="four words right here")
    assert isinstance(counted, types.CountTokensResponse) and counted.total_tokens == 4


def test_upstream_400_is_the_sdks_typed_error(studio: genai.Client) -> None:
    """A function call turn with no user turn before it: Google's own 400, passed through."""
    call = types.Part.from_function_call(name="get_weather", args={"city": "Rome"})
    with pytest.raises(errors.ClientError) as bad:
        studio.models.generate_content(model=MODEL,
                                       contents=[types.Content(role="model", parts=[call])])
    assert bad.value.code == 400 and bad.value.status == "INVALID_ARGUMENT"
    assert bad.value.message == google_ai_studio.CALL_AFTER_USER


# ---------------------------------------------------------------- Vertex AI


def test_vertex_with_the_gateways_stored_service_account(stack: SdkStack) -> None:
    """A base URL with `COLLECTION` scope is the SDK's documented way to talk to an API gateway
    that holds the credential: the SDK then adds neither a version, a project nor a token."""
    location = f"{stack.url('google-vertex-ai')}/v1/projects/{credentials.VERTEX_PROJECT_ID}/" \
               f"locations/{credentials.VERTEX_LOCATION}"
    client = genai.Client(vertexai=True, http_options=types.HttpOptions(
        base_url=location, base_url_resource_scope=types.ResourceScope.COLLECTION,
        headers=stack.gateway_auth, httpx_client=stack.httpx_client()))

    response = client.models.generate_content(model=MODEL, contents="Hello Vertex")
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="stream me"))

    assert response.text == "Echo: Hello Vertex"
    assert "".join(c.text or "" for c in chunks) == "Echo: stream me"
    generate, stream = [r for r in stack.vertex.recorder.requests if "/models/" in r.path]
    prefix = (f"/v1/projects/{credentials.VERTEX_PROJECT_ID}/locations/"
              f"{credentials.VERTEX_LOCATION}/publishers/google/models/{MODEL}")
    assert generate.path == f"{prefix}:generateContent"
    assert stream.path == f"{prefix}:streamGenerateContent"
    # The gateway minted the token from the stored key; the client sent none.
    assert generate.headers["authorization"].startswith("Bearer ya29.")
    assert stack.vertex.oauth.minted >= 1


def test_vertex_with_the_clients_own_token(stack: SdkStack) -> None:
    """The SDK mints its own token (google-auth, pointed at the fake's token endpoint); the
    gateway forwards that credential unchanged and does not consult its stored key."""
    creds = service_account.Credentials.from_service_account_info(
        stack.vertex.service_account(), scopes=[credentials.VERTEX_SCOPE])
    client = genai.Client(
        vertexai=True, project=credentials.VERTEX_PROJECT_ID,
        location=credentials.VERTEX_LOCATION, credentials=creds,
        http_options=types.HttpOptions(base_url=stack.url("google-vertex-ai"),
                                       headers=stack.gateway_auth,
                                       httpx_client=stack.httpx_client()))

    response = client.models.generate_content(model=MODEL, contents="my own token")

    assert response.text == "Echo: my own token"
    sent = stack.vertex.recorder.last
    assert sent.path.startswith(f"/v1beta1/projects/{credentials.VERTEX_PROJECT_ID}/")
    assert creds.token and sent.headers["authorization"] == f"Bearer {creds.token}"
