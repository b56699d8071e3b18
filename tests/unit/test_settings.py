"""Settings come from the environment, each field from the variable its alias names."""

import pytest
from pydantic import ValidationError

from customer_auth.api.settings import Settings

REQUIRED = {"TABLE_NAME": "customer-auth", "SIGNING_KEYS_SECRET_ID": "keys"}


def test_every_variable_is_read_into_its_field() -> None:
    environment = {
        **REQUIRED,
        "TOKEN_ISSUER": "https://auth.example.com",
        "TOKEN_AUDIENCE": "shop",
        "PASSWORD_HASH_PROFILE": "test",
        "APP_TOKEN_TTL_SECONDS": "60",
        "APP_REFRESH_TTL_SECONDS": "120",
        "SIGNING_KEYS_CACHE_SECONDS": "0",
        "CODE_EVENT_BUS_NAME": "bus",
        "CODE_OUTBOX_FILE": "local-outbox/codes.jsonl",
        "RECOVERY_ANSWER_MS": "0",
        "MAIL_SENDER": "Shop <no-reply@shop.example>",
        "MAIL_REGION": "eu-west-1",
        "MAIL_CONFIGURATION_SET": "shop-mail",
        "SMTP_URL": "",
        "LOCAL_MAIL_DIR": "local-outbox/mail",
        "UNRELATED": "ignored",
    }
    got = Settings.model_validate(environment)
    assert got.model_dump() == {
        "table_name": "customer-auth",
        "signing_keys_secret_id": "keys",
        "token_issuer": "https://auth.example.com",
        "token_audience": "shop",
        "password_hash_profile": "test",
        "app_token_ttl_seconds": 60,
        "app_refresh_ttl_seconds": 120,
        "keys_cache_seconds": 0,
        "code_event_bus_name": "bus",
        "code_outbox_file": "local-outbox/codes.jsonl",
        "recovery_answer_ms": 0,
        "mail_sender": "Shop <no-reply@shop.example>",
        "mail_region": "eu-west-1",
        "mail_configuration_set": "shop-mail",
        "smtp_url": None,  # the template's empty parameter: none
        "local_mail_dir": "local-outbox/mail",
    }


def test_defaults_apply_when_only_the_required_variables_are_set() -> None:
    got = Settings.model_validate(REQUIRED)
    assert got.token_audience == "customer-auth"
    assert got.password_hash_profile == "owasp"
    assert got.code_outbox_file is None
    assert got.recovery_answer_ms == 150


@pytest.mark.parametrize(
    "environment",
    [
        {"SIGNING_KEYS_SECRET_ID": "keys"},
        {**REQUIRED, "TABLE_NAME": "t"},
        {**REQUIRED, "APP_TOKEN_TTL_SECONDS": "soon"},
        {**REQUIRED, "PASSWORD_HASH_PROFILE": "fast"},
    ],
    ids=["table missing", "table name too short", "ttl not a number", "unknown hash profile"],
)
def test_a_missing_or_malformed_variable_fails_loudly(environment: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(environment)
