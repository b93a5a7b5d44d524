"""`aigw.config.settings_from_env`: the one reader of the environment."""

from __future__ import annotations

import pytest

from aigw.config import Settings, settings_from_env


def test_empty_environment_gives_the_local_defaults() -> None:
    assert settings_from_env({}) == Settings()


def test_template_variables_are_read() -> None:
    s = settings_from_env({
        "AIGW_CONFIG_TABLE": "stack-ConfigTable-1", "AIGW_COUNTERS_TABLE": "stack-Counters-2",
        "AIGW_CACHE_TABLE": "stack-Cache-3", "AIGW_LOGS_TABLE": "stack-Logs-4",
        "AIGW_SECRET_PREFIX": "aigw/stack/", "AIGW_ADMIN_SECRET_ARN": "arn:secret",
        "AIGW_CONFIG_CACHE_SECONDS": "0.5", "AIGW_BEDROCK_USE_ROLE": "true"})
    assert (s.config_table, s.counters_table, s.cache_table, s.logs_table) == (
        "stack-ConfigTable-1", "stack-Counters-2", "stack-Cache-3", "stack-Logs-4")
    assert s.secret_prefix == "aigw/stack"  # a trailing slash would double up in names
    assert s.admin_secret_arn == "arn:secret" and s.admin_token is None
    assert s.config_cache_seconds == 0.5 and s.bedrock_use_role is True


def test_empty_admin_values_mean_unset() -> None:
    s = settings_from_env({"AIGW_ADMIN_TOKEN": "", "AIGW_ADMIN_SECRET_ARN": ""})
    assert s.admin_token is None and s.admin_secret_arn is None


def test_region_prefers_aws_region_over_default_region() -> None:
    assert settings_from_env({"AWS_DEFAULT_REGION": "eu-west-1"}).region == "eu-west-1"
    both = {"AWS_REGION": "ap-south-1", "AWS_DEFAULT_REGION": "eu-west-1"}
    assert settings_from_env(both).region == "ap-south-1"


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), (" YES ", True),
                                               ("on", True), ("false", False), ("0", False),
                                               ("", False), ("maybe", False)])
def test_bedrock_flag_parsing(raw: str, expected: bool) -> None:
    assert settings_from_env({"AIGW_BEDROCK_USE_ROLE": raw}).bedrock_use_role is expected


def test_upstream_overrides_by_slug() -> None:
    s = settings_from_env({"AIGW_UPSTREAM_OPENAI": "http://127.0.0.1:9000/v1",
                           "AIGW_UPSTREAM_GOOGLE_AI_STUDIO": "http://127.0.0.1:9001",
                           "AIGW_UPSTREAM_GROQ": "",
                           "AIGW_UPSTREAMOPENAI": "http://wrong"})
    assert s.upstream_override("openai") == "http://127.0.0.1:9000/v1"
    # Slugs are upper-cased with '-' as '_', as the design names the variables.
    assert s.upstream_override("google-ai-studio") == "http://127.0.0.1:9001"
    assert s.upstream_override("groq") is None  # an empty value overrides nothing
    assert s.upstream_override("anthropic") is None
    assert set(s.upstream_overrides) == {"OPENAI", "GOOGLE_AI_STUDIO"}
