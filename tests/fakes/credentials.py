"""The one test credential each fake upstream accepts; anything else is rejected like a bad key.

The values are shaped like the real ones (prefixes, length) so log scrubbing and key previews see
realistic input, and they are unique strings, so a test can grep any output for a leaked key.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

OPENAI_KEY = "sk-test-openai-5b2f0c1e9d8a4f7b"
AZURE_OPENAI_KEY = "0f3c9a7e5d1b4c2a8e6f0d9b7a5c3e1f"
ANTHROPIC_KEY = "sk-ant-api03-test-anthropic-7c1d2e3f4a5b"
COHERE_KEY = "test-cohere-3e8a1b9c7d5f2e4a6b0c"
WORKERS_AI_KEY = "test-cf-workers-ai-token-9f1e2d3c4b5a"
GROQ_KEY = "gsk_test_groq_2a4c6e8f0b1d3f5a"
MISTRAL_KEY = "test-mistral-key-6d8f0a2c4e6b8d0f"
DEEPSEEK_KEY = "sk-test-deepseek-1f3e5d7c9b0a2e4d"
OPENROUTER_KEY = "sk-or-v1-test-openrouter-8b6d4f2a0c9e"
PERPLEXITY_KEY = "pplx-test-perplexity-4a2c0e8d6f1b"
GROK_KEY = "xai-test-grok-0e2c4a6f8d1b3e5c"
CEREBRAS_KEY = "csk-test-cerebras-5c7e9a1d3f0b2d4e"

GOOGLE_AI_STUDIO_KEY = "AIzaSyTest-aigw-google-ai-studio-0a1b2c"

AWS_REGION = "us-east-1"
AWS_ACCESS_KEY_ID = "AKIAAIGWTEST7EXAMPLE"
AWS_SECRET_ACCESS_KEY = "aigwTestSecretKey/7Kx9Pq2Lm4Nv6Bc8Df0GhJ"  # noqa: S105
AWS_SESSION_ACCESS_KEY_ID = "ASIAAIGWTEST7SESSION"
"""Temporary credentials: valid only together with `AWS_SESSION_TOKEN` (`x-amz-security-token`)."""
AWS_SESSION_SECRET_ACCESS_KEY = "aigwTestSessionSecret+3Rt5Yu7Io9Pa1Sd3Fg"  # noqa: S105
AWS_SESSION_TOKEN = "IQoJb3JpZ2luX2VjEAIaCXVzLWVhc3QtMSJGMEQCIAigwTestSessionToken0a1b2c3d4e5f"  # noqa: S105

VERTEX_PROJECT_ID = "aigw-test-project"
VERTEX_LOCATION = "us-central1"
VERTEX_CLIENT_EMAIL = "aigw-gateway@aigw-test-project.iam.gserviceaccount.com"
VERTEX_PRIVATE_KEY_ID = "3f1c9e7a5b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e"
VERTEX_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105
"""The JWT `aud` Google requires, whatever `token_uri` the key file names."""


@functools.cache
def vertex_private_key() -> rsa.RSAPrivateKey:
    """The service account's RSA key, generated once per process (never stored on disk)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def vertex_service_account(token_uri: str = GOOGLE_TOKEN_URI) -> dict[str, str]:
    """A service-account key file as the Cloud console downloads it; point `token_uri` at the
    fake's `/token` (`fake.origin + "/token"`)."""
    pem = vertex_private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    return {
        "type": "service_account",
        "project_id": VERTEX_PROJECT_ID,
        "private_key_id": VERTEX_PRIVATE_KEY_ID,
        "private_key": pem,
        "client_email": VERTEX_CLIENT_EMAIL,
        "client_id": "104627387515922031846",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                "aigw-gateway%40aigw-test-project.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com",
    }


ALL_KEYS: tuple[str, ...] = (
    OPENAI_KEY, AZURE_OPENAI_KEY, ANTHROPIC_KEY, COHERE_KEY, WORKERS_AI_KEY, GROQ_KEY,
    MISTRAL_KEY, DEEPSEEK_KEY, OPENROUTER_KEY, PERPLEXITY_KEY, GROK_KEY, CEREBRAS_KEY,
    GOOGLE_AI_STUDIO_KEY, AWS_SECRET_ACCESS_KEY, AWS_SESSION_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
)
"""Every key above, for tests that prove no provider key reaches a log line or stored record."""
