"""The Google fakes (AI Studio, Vertex AI + Google OAuth) are realistic: google-genai and
google-auth talk to them unchanged, and they reject what the real services reject."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google import genai
from google.auth import crypt
from google.auth import jwt as google_jwt
from google.genai import errors as genai_errors
from google.genai import types
from google.oauth2 import service_account

from tests.fakes import credentials as creds
from tests.fakes.upstreams import google_ai_studio, google_vertex
from tests.fakes.upstreams.common import FakeUpstream

CLAUDE = "anthropic.claude-3-5-sonnet-20240620-v1:0"
WEATHER_SCHEMA = {"type": "object", "properties": {"location": {"type": "string"}},
                  "required": ["location"]}



@pytest.fixture(scope="module")
def studio_server() -> Iterator[FakeUpstream]:
    with google_ai_studio.create() as fake:
        yield fake


@pytest.fixture(scope="module")
def vertex_server() -> Iterator[google_vertex.VertexFake]:
    fake = google_vertex.create()
    with fake:
        yield fake


@pytest.fixture
def studio(studio_server: FakeUpstream) -> FakeUpstream:
    studio_server.reset()
    return studio_server


@pytest.fixture
def vertex(vertex_server: google_vertex.VertexFake) -> google_vertex.VertexFake:
    vertex_server.reset()
    return vertex_server



# ---------------------------------------------------------------- Google AI Studio


def genai_client(fake: FakeUpstream, key: str = creds.GOOGLE_AI_STUDIO_KEY) -> genai.Client:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=fake.origin))


def weather_tool() -> types.Tool:
    return types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", description="Current weather", parameters_json_schema=WEATHER_SCHEMA)])


def test_genai_sdk_generates_and_streams(studio: FakeUpstream) -> None:
    client = genai_client(studio)
    answer = client.models.generate_content(model="gemini-2.5-flash",
                                            contents="Why is the sky blue?")
    assert answer.text == "Echo: Why is the sky blue?"
    usage = answer.usage_metadata
    assert usage is not None and usage.prompt_token_count and usage.candidates_token_count
    assert usage.thoughts_token_count and usage.total_token_count == (
        usage.prompt_token_count + usage.candidates_token_count + usage.thoughts_token_count)
    assert studio.recorder.last.headers["x-goog-api-key"] == creds.GOOGLE_AI_STUDIO_KEY

    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash-lite",
                                                        contents="Why is the sky blue?"))
    assert len(chunks) > 1 and "".join(c.text or "" for c in chunks) == answer.text
    assert chunks[-1].candidates and chunks[-1].candidates[0].finish_reason == "STOP"
    assert studio.recorder.last.path.endswith(":streamGenerateContent")
    assert studio.recorder.last.query == "alt=sse"


def test_genai_function_call_round_trip(studio: FakeUpstream) -> None:
    client = genai_client(studio)
    config = types.GenerateContentConfig(
        tools=[weather_tool()],
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True))
    first = client.models.generate_content(model="gemini-2.5-flash", contents="Paris",
                                           config=config)
    assert first.function_calls and first.function_calls[0].name == "get_weather"
    assert first.function_calls[0].args == {"location": "Paris"}
    history = [types.Content(role="user", parts=[types.Part(text="Paris")]),
               first.candidates[0].content,  # type: ignore[index]
               types.Content(role="user", parts=[types.Part.from_function_response(
                   name="get_weather", response={"temperature": 18})])]
    second = client.models.generate_content(model="gemini-2.5-flash", contents=history,
                                            config=config)
    assert second.text == 'The tool returned: {"temperature": 18}'


def test_genai_embeddings_and_token_count(studio: FakeUpstream) -> None:
    client = genai_client(studio)
    result = client.models.embed_content(model="gemini-embedding-001", contents=["a", "b c"],
                                         config=types.EmbedContentConfig(output_dimensionality=8))
    assert result.embeddings and [len(e.values or []) for e in result.embeddings] == [8, 8]
    count = client.models.count_tokens(model="gemini-2.5-flash", contents="one two three")
    assert count.total_tokens == 3


def studio_post(fake: FakeUpstream, target: str, body: Any, *, key: str | None = None,
                query: str = "") -> httpx.Response:
    headers = {"x-goog-api-key": key or creds.GOOGLE_AI_STUDIO_KEY}
    return httpx.post(f"{fake.origin}/v1beta/models/{target}{query}", json=body, headers=headers)


def test_stream_without_alt_sse_is_a_json_array_and_sse_uses_crlf(studio: FakeUpstream) -> None:
    body = {"contents": [{"role": "user", "parts": [{"text": "one two"}]}]}
    array = studio_post(studio, "gemini-2.5-flash:streamGenerateContent", body).json()
    assert isinstance(array, list) and "".join(
        c["candidates"][0]["content"]["parts"][0]["text"] for c in array) == "Echo: one two"
    sse = studio_post(studio, "gemini-2.5-flash:streamGenerateContent", body, query="?alt=sse")
    assert sse.headers["content-type"].startswith("text/event-stream")
    frames = sse.text.split("\r\n\r\n")
    assert frames[-1] == "" and all(f.startswith("data: {") for f in frames[:-1])


def test_api_key_is_checked_like_google(studio: FakeUpstream) -> None:
    body = {"contents": [{"parts": [{"text": "hi"}]}]}
    wrong = studio_post(studio, "gemini-2.5-flash:generateContent", body, key="AIzaWrong")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert wrong.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    by_query = httpx.post(f"{studio.origin}/v1beta/models/gemini-2.5-flash:generateContent",
                          params={"key": creds.GOOGLE_AI_STUDIO_KEY}, json=body)
    assert by_query.status_code == 200
    missing = httpx.post(f"{studio.origin}/v1beta/models/gemini-2.5-flash:generateContent",
                         json=body)
    assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"
    client = genai_client(studio, "AIzaWrong")
    with pytest.raises(genai_errors.ClientError) as raised:
        client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert raised.value.code == 400


def _call(name: str = "get_weather") -> dict[str, Any]:
    return {"functionCall": {"name": name, "args": {"location": "Paris"}}}


def _response(name: str = "get_weather") -> dict[str, Any]:
    return {"functionResponse": {"name": name, "response": {"temperature": 18}}}


def _user(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "user", "parts": list(parts) or [{"text": "Weather in Paris?"}]}


def _model(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"role": "model", "parts": list(parts)}


GEMINI_REJECTIONS = [
    ({"contents": []}, "contents is not specified"),
    ({"contents": [{"role": "assistant", "parts": [{"text": "hi"}]}]}, "valid role: user, model"),
    ({"contents": [_user()], "max_tokens": 5}, 'Unknown name "max_tokens"'),
    ({"contents": [{"role": "user", "parts": [{"type": "text", "text": "hi"}]}]},
     "Unknown name \"type\" at 'contents[0].parts[0]'"),
    ({"contents": [_user()], "generationConfig": {"max_tokens": 5}},
     "at 'generation_config'"),
    ({"contents": [_user(), {"role": "user", "parts": []}]}, "must not be empty"),
    ({"contents": [_user(_response())]}, "function response turn comes immediately after"),
    ({"contents": [_user(), _model(_call(), _call()), _user(_response())]},
     "number of function response parts is equal"),
    ({"contents": [_user(), _model(_call()), _user()]},
     "number of function response parts is equal"),
    ({"contents": [_user(), _model(_call()), _user(_response("get_time"))]},
     "name of each function response part"),
    ({"contents": [_user(), _model({"text": "ok"}), _model(_call()), _user(_response())]},
     "function call turn comes immediately after a user turn"),
    ({"contents": [_user()], "systemInstruction": {"role": "model", "parts": [{"text": "x"}]}},
     "valid role for system_instruction"),
]


@pytest.mark.parametrize(("body", "message"), GEMINI_REJECTIONS)
def test_gemini_rejects_what_the_api_rejects(studio: FakeUpstream, body: dict[str, Any],
                                             message: str) -> None:
    answer = studio_post(studio, "gemini-2.5-flash:generateContent", body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT"
    assert message in error["message"]


def test_gemini_accepts_paired_calls_in_snake_case(studio: FakeUpstream) -> None:
    body = {"contents": [_user(), _model(_call(), _call()), _user(_response(), _response())],
            "system_instruction": {"parts": [{"text": "Be brief."}]},
            "generation_config": {"max_output_tokens": 3}}
    answer = studio_post(studio, "gemini-2.5-flash:generateContent", body).json()
    assert answer["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == "The tool returned:"


def test_gemini_unknown_model_or_method_is_404(studio: FakeUpstream) -> None:
    body = {"contents": [_user()]}
    assert studio_post(studio, "gemini-embedding-001:generateContent", body).status_code == 404
    assert studio_post(studio, "gemini-2.5-flash:embedContent", body).status_code == 404
    assert studio_post(studio, "gemini-2.5-flash:fly", body).status_code == 404


# ---------------------------------------------------------------- Vertex AI and Google OAuth


def vertex_credentials(fake: google_vertex.VertexFake) -> service_account.Credentials:
    return service_account.Credentials.from_service_account_info(  # type: ignore[no-any-return]
        fake.service_account(), scopes=[creds.VERTEX_SCOPE])


def test_vertex_with_google_auth_and_genai_mints_once(vertex: google_vertex.VertexFake) -> None:
    client = genai.Client(vertexai=True, project=creds.VERTEX_PROJECT_ID,
                          location=creds.VERTEX_LOCATION, credentials=vertex_credentials(vertex),
                          http_options=types.HttpOptions(base_url=vertex.origin))
    answer = client.models.generate_content(model="gemini-2.5-pro", contents="Why is the sky blue?")
    assert answer.text == "Echo: Why is the sky blue?"
    streamed = client.models.generate_content_stream(model="gemini-2.5-pro", contents="a b c")
    assert "".join(c.text or "" for c in streamed) == "Echo: a b c"
    assert vertex.oauth.minted == 1, "google-auth caches the token, so the fake minted one"
    token_request = vertex.recorder.requests[0]
    assert token_request.path == "/token"
    assert vertex.recorder.last.headers["authorization"].startswith("Bearer ya29.")
    assert vertex.recorder.last.path.endswith(
        f"/projects/{creds.VERTEX_PROJECT_ID}/locations/{creds.VERTEX_LOCATION}/"
        "publishers/google/models/gemini-2.5-pro:streamGenerateContent")


def assertion(claims: dict[str, Any], signer: crypt.Signer | None = None) -> str:
    now = int(time.time())
    payload = {"iss": creds.VERTEX_CLIENT_EMAIL, "aud": creds.GOOGLE_TOKEN_URI,
               "scope": creds.VERTEX_SCOPE, "iat": now, "exp": now + 3600, **claims}
    signer = signer or crypt.RSASigner.from_service_account_info(creds.vertex_service_account())
    return google_jwt.encode(signer, payload).decode()


def other_signer() -> crypt.Signer:
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    return crypt.RSASigner.from_string(pem, creds.VERTEX_PRIVATE_KEY_ID)


def mint(fake: google_vertex.VertexFake, jwt: str,
         grant: str = google_vertex.JWT_BEARER) -> httpx.Response:
    return httpx.post(fake.token_uri, data={"grant_type": grant, "assertion": jwt})


def test_token_endpoint_mints_for_a_valid_assertion(vertex: google_vertex.VertexFake) -> None:
    answer = mint(vertex, assertion({}))
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599  # noqa: S105
    assert body["access_token"] in vertex.oauth.issued and vertex.oauth.minted == 1


@pytest.mark.parametrize(("claims", "foreign_key", "error", "description"), [
    ({}, True, "invalid_grant", "Invalid JWT Signature."),
    ({"aud": "https://example.com/token"}, False, "invalid_grant", "audience"),
    ({"iss": "someone@else.iam.gserviceaccount.com"}, False, "invalid_grant", "account not found"),
    ({"exp": int(time.time()) + 7200}, False, "invalid_grant", "short-lived"),
    ({"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}, False, "invalid_grant",
     "short-lived"),
    ({"scope": "https://www.googleapis.com/auth/userinfo.email"}, False, "invalid_scope", "scope"),
])
def test_token_endpoint_rejects_bad_assertions(vertex: google_vertex.VertexFake,
                                               claims: dict[str, Any], foreign_key: bool,
                                               error: str, description: str) -> None:
    answer = mint(vertex, assertion(claims, other_signer() if foreign_key else None))
    assert answer.status_code == 400
    assert answer.json()["error"] == error and description in answer.json()["error_description"]
    assert vertex.oauth.minted == 0


def test_token_endpoint_rejects_other_grants(vertex: google_vertex.VertexFake) -> None:
    answer = mint(vertex, assertion({}), grant="client_credentials")
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"


def vertex_post(fake: google_vertex.VertexFake, token: str | None, body: Any,
                project: str = creds.VERTEX_PROJECT_ID,
                location: str = creds.VERTEX_LOCATION) -> httpx.Response:
    url = (f"{fake.origin}/v1/projects/{project}/locations/{location}/publishers/google/models/"
           "gemini-2.5-pro:generateContent")
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.post(url, json=body, headers=headers)


def test_vertex_checks_token_project_location_and_body(vertex: google_vertex.VertexFake) -> None:
    token = mint(vertex, assertion({})).json()["access_token"]
    body = {"contents": [_user()], "labels": {"team": "ai"}}
    assert vertex_post(vertex, token, body).status_code == 200
    for bad_token, reason in ((None, "CREDENTIALS_MISSING"),
                              ("ya29.not-minted", "ACCESS_TOKEN_TYPE_UNSUPPORTED")):
        denied = vertex_post(vertex, bad_token, body)
        assert denied.status_code == 401
        assert denied.json()["error"]["details"][0]["reason"] == reason
    other_project = vertex_post(vertex, token, body, project="someone-elses-project")
    assert other_project.status_code == 403
    assert other_project.json()["error"]["status"] == "PERMISSION_DENIED"
    assert vertex_post(vertex, token, body, location="europe-west4").status_code == 400
    system_turn = {"role": "system", "parts": [{"text": "x"}]}
    bad_role = vertex_post(vertex, token, {"contents": [system_turn]})
    assert bad_role.status_code == 400 and "valid role" in bad_role.json()["error"]["message"]
    vertex.oauth.expire_all()
    expired = vertex_post(vertex, token, body)
    assert expired.status_code == 401
    assert expired.json()["error"]["details"][0]["reason"] == "ACCESS_TOKEN_EXPIRED"
