"""What the ways of signing in need from storage and the outbox. The DynamoDB store implements
every port of every capability; tests may fake one."""

from typing import Protocol

from ..accounts.records import AccountChange, LoginContext
from ..codes.challenge import CodeChallenge
from ..codes.delivery import CodeDelivery
from ..logins.login import Login
from ..sessions.ports import SessionReader
from ..sessions.records import RefreshToken, Session
from ..tenants.tenant import Tenant
from .records import NewLogin, SecondFactorPassed


class SignInStore(Protocol):
    """Sign-in with a password."""

    def identify(self, tenant_id: int, normalized: str) -> tuple[int | None, Tenant | None]:
        """The account whose login has this normalized username or email, and the tenant."""

    def load_login(self, tenant_id: int, account_id: int, *, with_tenant: bool = True) -> LoginContext:
        """The account, its login and (unless the caller has it already) the tenant, in one read."""

    def spend_refused_write(self, tenant_id: int, normalized: str) -> None:
        """A conditional write that cannot succeed: it costs what recording a failed sign-in
        costs and writes nothing."""

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


class TwoFactorStore(SessionReader, Protocol):
    """A waiting session's second factor."""

    def replace_challenge(self, before: CodeChallenge, after: CodeChallenge | None) -> None:
        """Write ``after`` (``None``: delete) if the code is still at ``before``'s version; else
        ``ConcurrentUpdate``."""

    def complete_second_factor(self, passed: SecondFactorPassed) -> None:
        """All of a correct code's writes, or none (``ConcurrentUpdate``)."""


class RegistrationStore(Protocol):
    """Create-Login and Add-Account-And-Login."""

    def load_login(self, tenant_id: int, account_id: int) -> LoginContext:
        """The account, its login and its tenant, in one read."""

    def create_login(self, new_login: NewLogin) -> None:
        """Write a login with its account update, identifiers and first session atomically.

        Raises ``Conflict`` naming the field when the login or an identifier exists, and
        ``ConcurrentUpdate`` when the account changed since it was read.
        """


class CodeOutbox(Protocol):
    def deliver(self, delivery: CodeDelivery) -> None:
        """Hand the code over for delivery; ``Unavailable`` if it could not be."""
