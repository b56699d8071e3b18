"""Configuration, read from the environment once per container and passed down typed.

Each field's alias is the environment variable it is read from: the model is the one list.
"""

import os
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    signing_keys_secret_id: str = Field(alias="SIGNING_KEYS_SECRET_ID", min_length=1)
    token_issuer: str = Field(alias="TOKEN_ISSUER", default="https://customer-auth.local")
    token_audience: str = Field(alias="TOKEN_AUDIENCE", default="customer-auth")
    password_hash_profile: Literal["owasp", "test"] = Field(alias="PASSWORD_HASH_PROFILE", default="owasp")
    app_token_ttl_seconds: int = Field(alias="APP_TOKEN_TTL_SECONDS", default=3600, gt=0, le=24 * 3600)
    app_refresh_ttl_seconds: int = Field(
        alias="APP_REFRESH_TTL_SECONDS", default=24 * 3600, gt=0, le=30 * 24 * 3600
    )
    keys_cache_seconds: int = Field(alias="SIGNING_KEYS_CACHE_SECONDS", default=300, ge=0)
    code_event_bus_name: str | None = Field(alias="CODE_EVENT_BUS_NAME", default=None)
    """The EventBridge bus two-factor codes are put on, for the tenant's mailer."""
    code_outbox_file: str | None = Field(alias="CODE_OUTBOX_FILE", default=None)
    """Instead of the bus, a local file (``make run``): one JSON line per code."""
    recovery_answer_ms: int = Field(alias="RECOVERY_ANSWER_MS", default=150, ge=0, le=5_000)
    """Reset-Password, Update-Forgotten-Password and both passwordless routes answer no sooner than
    this: above every path's own time, so timing tells nothing about who has a login."""

    # The mailer (and make run's local mail).
    mail_sender: str | None = Field(alias="MAIL_SENDER", default=None)
    """The From address of tenants that set none (an SES identity: ``Shop <no-reply@shop.example>``)."""
    mail_region: str | None = Field(alias="MAIL_REGION", default=None)
    """SES's region; absent, the function's own."""
    mail_configuration_set: str | None = Field(alias="MAIL_CONFIGURATION_SET", default=None)
    smtp_url: SecretStr | None = Field(alias="SMTP_URL", default=None)
    """``smtp://user:password@host:587`` or ``smtps://...:465``: send through this server instead
    of SES (under ``make run``, as well as keeping the .eml files)."""
    local_mail_dir: str | None = Field(alias="LOCAL_MAIL_DIR", default=None)
    """Under ``make run``, where each email is kept as an .eml file (default: ``mail/`` beside the
    local outbox files)."""

    @field_validator("mail_sender", "mail_region", "mail_configuration_set", "smtp_url", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: object) -> object:
        """The template passes an empty parameter as an empty string."""
        return None if value == "" else value


@cache
def settings() -> Settings:
    """The container's settings; a missing or malformed variable fails the cold start loudly."""
    return Settings.model_validate(dict(os.environ))
