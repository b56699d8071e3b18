"""Request and response bodies of the authentication endpoints."""

from typing import Annotated, Any

from pydantic import AliasChoices, ConfigDict, Field, StrictBool, StrictInt, StringConstraints
from pydantic.alias_generators import to_camel

from .account import CustomerAccount
from .base import OMIT_NONE, PASSWORD_MAX, Name, Timestamp, WireModel

Password = Annotated[str, StringConstraints(strict=True, max_length=PASSWORD_MAX)]
ExternalHash = Annotated[str, StringConstraints(strict=True, max_length=1_024)]
Secret = Annotated[str, StringConstraints(strict=True, max_length=512)]
OtpCode = Annotated[str, StringConstraints(strict=True, max_length=64)]
"""A mailed one-time code (two-factor or passwordless); its own format is the domain's to judge."""
Minutes = Annotated[StrictInt, Field(gt=0, le=10_000_000)]


class SessionRequest(WireModel):
    """What every call that starts a session may ask for: lifetimes, and the device and region."""

    auth_ticket_ttl_minutes: Minutes | None = None
    refresh_token_ttl_minutes: Minutes | None = None
    fingerprint: Name | None = None
    region: Name | None = None


class NewCredential(SessionRequest):
    """A new login's credential: a password, or a hash imported from another system."""

    password: Password | None = Field(default=None, repr=False)
    external_password: ExternalHash | None = Field(default=None, repr=False)
    is_import: StrictBool | None = None


class CustomerLoginInfo(NewCredential):
    """Body of Create-Login (Kibo's ``CustomerLoginInfo`` with its four newer fields)."""

    email_address: Name | None = None
    username: Name | None = None


class CustomerAccountAndAuthInfo(NewCredential):
    """Body of Add-Account-And-Login: a new account and its login's credential."""

    account: CustomerAccount | None = None

    def login_info(self) -> CustomerLoginInfo:
        """The login part, as Create-Login would receive it for the account's email and userName."""
        account = self.account or CustomerAccount()
        credential = {name: getattr(self, name) for name in NewCredential.model_fields}
        return CustomerLoginInfo(
            email_address=account.email_address, username=account.user_name, **credential
        )


class CustomerUserAuthInfo(SessionRequest):
    """Body of sign-in: the username (or email) and password, and the requested lifetimes."""

    username: Name | None = None
    password: Password | None = Field(default=None, repr=False)
    account_id: Annotated[StrictInt, Field(ge=1, le=2**31 - 1)] | None = None


class AuthTicket2FAInfo(WireModel):
    """Body of the two-factor verification: Kibo's ``AuthTicket2FAInfo``."""

    user_id: Name | None = None
    otp_code: OtpCode | None = Field(default=None, repr=False)


class OtpRequest(WireModel):
    """Body of the passwordless code request: Kibo's ``OtpRequest``."""

    email: Name | None = None


class AuthTicketOtpInfo(WireModel):
    """Body of the passwordless sign-in: Kibo's ``AuthTicketOtpInfo``."""

    email: Name | None = None
    otp_code: OtpCode | None = Field(default=None, repr=False)
    fingerprint: Name | None = None
    region: Name | None = None


class CustomerPasswordInfo(WireModel):
    """Body of Change-Password."""

    old_password: Password | None = Field(default=None, repr=False)
    new_password: Password | None = Field(default=None, repr=False)
    external_password: ExternalHash | None = Field(default=None, repr=False)


class CustomerResetPasswordInfo(WireModel):
    """Body of Reset-Password: the login's email, or its user name (or email)."""

    email_address: Name | None = None
    user_name: Name | None = None
    customer_set_code: Name | None = None


class ConfirmationInfo(WireModel):
    """Body of Update-Forgotten-Password: Kibo's ``ConfirmationInfo``."""

    user_name: Name | None = None
    confirmation_code: Secret | None = Field(default=None, repr=False)
    new_password: Password | None = Field(default=None, repr=False)


CHANGE_PASSWORDS_MAX = 100


class AccountPasswordInfo(WireModel):
    """One item of Change-Passwords: Kibo's ``AccountPasswordInfo``."""

    account_id: Annotated[StrictInt, Field(ge=1, le=2**31 - 1)]
    user_id: Name | None = None
    unlock_account: StrictBool | None = None
    password_info: CustomerPasswordInfo | None = None


class AccountPasswordInfoCollection(WireModel):
    """Body of Change-Passwords: up to 100 items, each changed on its own."""

    total_count: StrictInt | None = None
    items: Annotated[list[AccountPasswordInfo], Field(max_length=CHANGE_PASSWORDS_MAX)] | None = None


class ChangePasswordResult(WireModel):
    account_id: int
    succeeded: bool
    error_message: str | None = None


class ChangePasswordResultCollection(WireModel):
    """Kibo's ``ChangePasswordResultCollection``: one result per item, in the request's order."""

    total_count: int
    items: list[ChangePasswordResult]


class RefreshTokenBody(WireModel):
    """The refresh token in a JSON body, which we recommend over Kibo's query string."""

    refresh_token: Secret | None = Field(default=None, repr=False)


class LoginState(WireModel):
    """Kibo's ``LoginState``."""

    is_password_change_required: bool = False
    last_password_change_on: Timestamp | None = None
    is_locked: bool
    last_locked_on: Timestamp | None = None
    failed_login_attempt_count: int
    remaining_login_attempts: int
    first_failed_login_attempt_on: Timestamp | None = None
    last_login_on: Timestamp | None = None
    created_on: Timestamp | None = None
    updated_on: Timestamp | None = None
    locked_trusted_device_count: int = 0
    """Ours: trusted fingerprints locked by their own failures. ``isLocked`` and the counts above
    are what a device the login does not trust meets; a trusted device keeps its own count."""


class CustomerAuthTicket(WireModel):
    """Kibo's ``CustomerAuthTicket``: a signed-in shopper's tokens and account (none for an
    anonymous shopper)."""

    customer_account: Annotated[CustomerAccount | None, OMIT_NONE] = None
    access_token: str = Field(repr=False)
    access_token_expiration: Timestamp
    refresh_token: str | None = Field(repr=False)
    refresh_token_expiration: Annotated[Timestamp | None, OMIT_NONE]
    user_id: str
    jwt_access_token: str | None = Field(repr=False)
    requires_2fa: bool = Field(default=False, alias="requires2FA")


def _either_spelling(name: str) -> AliasChoices:
    """OAuth's snake_case name first (it wins when a body holds both), then the SDK's camelCase."""
    return AliasChoices(name, to_camel(name))


def _document_both_spellings(schema: dict[str, Any]) -> None:
    """The request schema lists the SDK's camelCase names beside OAuth's (validation reads both)."""
    properties = schema.get("properties", {})
    for name, definition in list(properties.items()):
        properties[to_camel(name)] = {**definition, "description": f"The SDK's name for {name}"}


class OauthAuthRequest(WireModel):
    """Kibo's app-auth body: OAuth 2.0's snake_case names, as ``APIAuthClient`` sends them, or the
    camelCase ones of the SDK's own ``OauthAuthRequest`` model (``oauthAuthenticateApp``)."""

    model_config = ConfigDict(alias_generator=None, json_schema_extra=_document_both_spellings)

    client_id: Name | None = Field(default=None, validation_alias=_either_spelling("client_id"))
    client_secret: Secret | None = Field(
        default=None, repr=False, validation_alias=_either_spelling("client_secret")
    )
    grant_type: Name | None = Field(default=None, validation_alias=_either_spelling("grant_type"))
    refresh_token: Secret | None = Field(
        default=None, repr=False, validation_alias=_either_spelling("refresh_token")
    )


class OAuthAccessTokenResponse(WireModel):
    model_config = ConfigDict(alias_generator=None)

    access_token: str = Field(repr=False)
    token_type: str = "Bearer"
    expires_in: int
    refresh_token: str = Field(repr=False)


class AppAuthInfo(WireModel):
    """Body of Kibo's older app ticket: the client's id and its secret."""

    application_id: Name | None = None
    shared_secret: Secret | None = Field(default=None, repr=False)


class AuthTicket(WireModel):
    """Kibo's app ``AuthTicket``: the older app ticket's tokens and when each expires."""

    access_token: str = Field(repr=False)
    access_token_expiration: Timestamp
    refresh_token: str = Field(repr=False)
    refresh_token_expiration: Timestamp
