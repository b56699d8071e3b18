"""What the domain needs from storage. The DynamoDB store implements it; tests may fake it."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ..models.account import CustomerAccount
from ..tokens.opaque import SessionLocator
from .codes import CodeRedeemed, LoginWithCode, OneTimeCode
from .records import (
    AccountChange,
    AccountUpdate,
    AppClient,
    AppRefreshToken,
    CodeChallenge,
    Login,
    LoginContext,
    NewLogin,
    RefreshToken,
    SecondFactorPassed,
    Session,
    SessionContext,
    StoredAccount,
)
from .tenants import Tenant


class AccountStore(Protocol):
    def insert_account(self, tenant_id: int, account: CustomerAccount) -> bool:
        """Store a new account; ``False`` when its id is already taken."""

    def get_account(self, tenant_id: int, account_id: int) -> StoredAccount | None: ...

    def load_login(self, tenant_id: int, account_id: int) -> LoginContext:
        """The account, its login and its tenant, in one read."""

    def create_login(self, new_login: NewLogin) -> None:
        """Write a login with its account update, identifiers and first session atomically.

        Raises ``Conflict`` naming the field when the login or an identifier exists, and
        ``ConcurrentUpdate`` when the account changed since it was read.
        """


class AccountAdminStore(Protocol):
    def load_login(self, tenant_id: int, account_id: int, *, with_tenant: bool = True) -> LoginContext:
        """The account, its login and (unless the caller has it already) the tenant, in one read."""

    def replace_login(self, before: Login, after: Login, account: AccountChange | None = None) -> None:
        """Write ``after`` if the login is still at ``before``'s version; else ``ConcurrentUpdate``."""

    def clear_account_partition(self, tenant_id: int, account_id: int) -> None:
        """Delete the account's sessions and codes (whatever else lives with it stays)."""

    def update_account(self, update: AccountUpdate) -> None:
        """The account (and login, and identifier moves) written if neither changed since read:
        ``Conflict`` naming the field when a new identifier is taken, else ``ConcurrentUpdate``."""

    def undo_account_update(self, update: AccountUpdate) -> None:
        """Put back exactly what ``update`` replaced, if nothing changed since it was written."""

    def delete_account(self, account: StoredAccount, login: Login | None) -> None:
        """Delete the account, its login and the login's identifier reservations in one write, if
        neither changed since they were read; else ``ConcurrentUpdate``."""


class AppStore(Protocol):
    def get_client(self, client_id: str) -> AppClient | None: ...

    def get_tenant(self, tenant_id: int) -> Tenant | None: ...

    def get_client_and_refresh(
        self, client_id: str, refresh_digest: str
    ) -> tuple[AppClient | None, AppRefreshToken | None]: ...

    def get_app_refresh(self, refresh_digest: str) -> AppRefreshToken | None:
        """The app refresh token with this digest, read consistently (a just-minted one is found)."""

    def put_app_refresh(self, token: AppRefreshToken) -> None: ...

    def delete_app_refresh(self, refresh_digest: str) -> None:
        """The app refresh token with this digest gone, if there was one."""

    def rotate_app_refresh(self, old: AppRefreshToken, new: AppRefreshToken) -> bool:
        """Replace ``old`` by ``new`` if ``old`` is still unused; ``False`` otherwise, and
        ``ConcurrentUpdate`` when a conflicting write left the question open."""


class TenantStore(Protocol):
    def get_tenant(self, tenant_id: int) -> Tenant | None: ...

    def put_tenant(self, tenant: Tenant) -> None: ...

    def put_client(self, client: AppClient) -> None: ...


class SessionStore(Protocol):
    def identify(self, tenant_id: int, normalized: str) -> tuple[int | None, Tenant | None]:
        """The account whose login has this normalized username or email, and the tenant."""

    def load_login(self, tenant_id: int, account_id: int, *, with_tenant: bool = True) -> LoginContext:
        """The account, its login and (unless the caller has it already) the tenant, in one read."""

    def spend_refused_write(self, tenant_id: int, normalized: str) -> None:
        """A conditional write that cannot succeed: it costs what recording a failed sign-in
        costs and writes nothing."""

    def load_session(
        self,
        locator: SessionLocator,
        *,
        refresh_digest: str | None = None,
        access_digest: str | None = None,
        with_tenant: bool = True,
        with_challenge: bool = False,
    ) -> SessionContext: ...

    def replace_login(self, before: Login, after: Login, account: AccountChange | None = None) -> None:
        """Write ``after`` if the login is still at ``before``'s version; else ``ConcurrentUpdate``."""

    def start_session(
        self,
        before: Login,
        after: Login,
        session: Session,
        refresh: RefreshToken | None,
        account: AccountChange | None = None,
    ) -> None:
        """A sign-in's login update and new session (no refresh token while it awaits 2FA)."""

    def rotate_session(
        self, before: Session, after: Session, refresh: RefreshToken, login: Login | None
    ) -> None:
        """Move the family's head; ``ConcurrentUpdate`` if it moved or the login's sessions were
        revoked (an anonymous family, ``login=None``, has no login to check)."""

    def get_tenant(self, tenant_id: int) -> Tenant | None: ...

    def start_anonymous_session(self, session: Session, refresh: RefreshToken) -> None:
        """An anonymous shopper's new session with its access and refresh tokens, all or nothing."""

    def end_session(self, session: Session) -> None: ...

    def replace_challenge(self, before: CodeChallenge, after: CodeChallenge | None) -> None:
        """Write ``after`` (``None``: delete) if the code is still at ``before``'s version; else
        ``ConcurrentUpdate``."""

    def complete_second_factor(self, passed: SecondFactorPassed) -> None:
        """All of a correct code's writes, or none (``ConcurrentUpdate``)."""


class CodeStore(Protocol):
    """A login's one-time codes (password recovery), found by the login's username or email."""

    def identify(self, tenant_id: int, normalized: str) -> tuple[int | None, Tenant | None]: ...

    def load_login_with_code(self, tenant_id: int, account_id: int, purpose: str) -> LoginWithCode:
        """The account, its login and its code for ``purpose`` (an empty one if none), in one read."""

    def spend_refused_write(self, tenant_id: int, normalized: str) -> None: ...

    def replace_code(self, before: OneTimeCode, after: OneTimeCode | None) -> None:
        """Write ``after`` (``None``: delete) if the code is still at ``before``'s version (0: none
        stored); else ``ConcurrentUpdate``."""

    def redeem_code(self, redeemed: CodeRedeemed) -> None:
        """All of a right code's writes, or none (``ConcurrentUpdate``)."""


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """Something the tenant's systems must act on (a mail to send), put on the outbox.

    ``detail`` may carry a secret (a code) for the mailer: it is never logged. ``log_fields`` say,
    without secrets, what the event was about.
    """

    detail_type: str
    detail: Mapping[str, Any] = field(repr=False)
    log_fields: Mapping[str, Any] = field(default_factory=dict)


class EventOutbox(Protocol):
    def publish(self, event: OutboxEvent) -> None:
        """Hand the event over; ``Unavailable`` if it could not be."""


@dataclass(frozen=True, slots=True)
class CodeDelivery:
    """A code (two-factor, password reset, passwordless) for the tenant's mailer to send."""

    tenant_id: int
    site_id: int | None
    account_id: int
    user_id: str
    username: str
    email_address: str | None
    code: str = field(repr=False)
    expires_at: datetime

    def event(self, detail_type: str, code_field: str = "otpCode") -> "OutboxEvent":
        """The event a mailer sends the code from (its ``detail`` is the local outbox's line too);
        only the user and account ids are logged."""
        return OutboxEvent(
            detail_type,
            {
                "tenantId": self.tenant_id,
                "siteId": self.site_id,
                "accountId": self.account_id,
                "userId": self.user_id,
                "userName": self.username,
                "emailAddress": self.email_address,
                code_field: self.code,
                "expiresAt": self.expires_at.isoformat(),
            },
            {"userId": self.user_id, "accountId": self.account_id},
        )


class CodeOutbox(Protocol):
    def deliver(self, delivery: CodeDelivery) -> None:
        """Hand the code over for delivery; ``Unavailable`` if it could not be."""
