"""Configuration, read from the environment once per container and passed down typed."""

import os
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=3)
    signing_keys_secret_id: str = Field(min_length=1)
    token_issuer: str = "https://customer-auth.local"
    token_audience: str = "customer-auth"
    password_hash_profile: Literal["owasp", "test"] = "owasp"
    app_token_ttl_seconds: int = Field(default=3600, gt=0, le=24 * 3600)
    app_refresh_ttl_seconds: int = Field(default=24 * 3600, gt=0, le=30 * 24 * 3600)
    keys_cache_seconds: int = Field(default=300, ge=0)
    code_event_bus_name: str | None = None
    """The EventBridge bus two-factor codes are put on, for the tenant's mailer."""
    code_outbox_file: str | None = None
    """Instead of the bus, a local file (``make run``): one JSON line per code."""


_ENVIRONMENT = {
    "table_name": "TABLE_NAME",
    "signing_keys_secret_id": "SIGNING_KEYS_SECRET_ID",
    "token_issuer": "TOKEN_ISSUER",
    "token_audience": "TOKEN_AUDIENCE",
    "password_hash_profile": "PASSWORD_HASH_PROFILE",
    "app_token_ttl_seconds": "APP_TOKEN_TTL_SECONDS",
    "app_refresh_ttl_seconds": "APP_REFRESH_TTL_SECONDS",
    "keys_cache_seconds": "SIGNING_KEYS_CACHE_SECONDS",
    "code_event_bus_name": "CODE_EVENT_BUS_NAME",
    "code_outbox_file": "CODE_OUTBOX_FILE",
}


@cache
def settings() -> Settings:
    """The container's settings; a missing or malformed variable fails the cold start loudly."""
    values = {field: os.environ[name] for field, name in _ENVIRONMENT.items() if name in os.environ}
    return Settings.model_validate(values)
