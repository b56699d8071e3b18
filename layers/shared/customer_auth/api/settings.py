"""Configuration, read from the environment once per container and passed down typed.

Each field's alias is the environment variable it is read from: the model is the one list.
"""

import os
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


@cache
def settings() -> Settings:
    """The container's settings; a missing or malformed variable fails the cold start loudly."""
    return Settings.model_validate(dict(os.environ))
