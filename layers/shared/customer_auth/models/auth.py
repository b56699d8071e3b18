"""Request and response bodies of the authentication endpoints."""

from typing import Annotated

from pydantic import ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from .account import CustomerAccount
from .base import PASSWORD_MAX, Name, Timestamp, WireModel

Password = Annotated[str, StringConstraints(strict=True, max_length=PASSWORD_MAX)]
ExternalHash = Annotated[str, StringConstraints(strict=True, max_length=1_024)]
Secret = Annotated[str, StringConstraints(strict=True, max_length=512)]
Minutes = Annotated[StrictInt, Field(gt=0, le=10_000_000)]


class CustomerLoginInfo(WireModel):
    """Body of Create-Login (Kibo's ``CustomerLoginInfo`` with its four newer fields)."""

    email_address: Name | None = None
    username: Name | None = None
    password: Password | None = Field(default=None, repr=False)
    external_password: ExternalHash | None = Field(default=None, repr=False)
    is_import: StrictBool | None = None
    auth_ticket_ttl_minutes: Minutes | None = None
    refresh_token_ttl_minutes: Minutes | None = None
    fingerprint: Name | None = None
    region: Name | None = None


class CustomerAuthTicket(WireModel):
    """Kibo's ``CustomerAuthTicket``: a signed-in shopper's tokens and account."""

    customer_account: CustomerAccount
    access_token: str = Field(repr=False)
    access_token_expiration: Timestamp
    refresh_token: str | None = Field(repr=False)
    refresh_token_expiration: Timestamp | None
    user_id: str
    jwt_access_token: str | None = Field(repr=False)
    requires_2fa: bool = Field(default=False, alias="requires2FA")


class OauthAuthRequest(WireModel):
    """Kibo's app-auth body; snake_case on the wire, as OAuth 2.0 has it."""

    model_config = ConfigDict(alias_generator=None)

    client_id: Name | None = None
    client_secret: Secret | None = Field(default=None, repr=False)
    grant_type: Name | None = None
    refresh_token: Secret | None = Field(default=None, repr=False)


class OAuthAccessTokenResponse(WireModel):
    model_config = ConfigDict(alias_generator=None)

    access_token: str = Field(repr=False)
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str = Field(repr=False)
