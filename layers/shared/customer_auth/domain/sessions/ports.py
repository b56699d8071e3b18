"""What sessions need from storage."""

from typing import Protocol

from ...tokens.opaque import SessionLocator
from ..accounts.records import AccountChange
from ..logins.login import Login
from ..tenants.tenant import Tenant
from .records import RefreshToken, Session, SessionContext


class SessionReader(Protocol):
    def load_session(
        self,
        locator: SessionLocator,
        *,
        refresh_digest: str | None = None,
        access_digest: str | None = None,
        with_tenant: bool = True,
        with_challenge: bool = False,
    ) -> SessionContext:
        """A shopper token's session, login, account (and tenant, and 2FA code), in one read."""


class SessionStore(SessionReader, Protocol):
    """Refresh, log out, the current account and the anonymous shopper's session."""

    def get_tenant(self, tenant_id: int) -> Tenant | None: ...

    def start_anonymous_session(self, session: Session, refresh: RefreshToken) -> None:
        """An anonymous shopper's new session with its access and refresh tokens, all or nothing."""

    def rotate_session(
        self, before: Session, after: Session, refresh: RefreshToken, login: Login | None
    ) -> None:
        """Move the family's head; ``ConcurrentUpdate`` if it moved or the login's sessions were
        revoked (an anonymous family, ``login=None``, has no login to check)."""

    def end_session(self, session: Session) -> None: ...

    def replace_login(self, before: Login, after: Login, account: AccountChange | None = None) -> None:
        """Write ``after`` if the login is still at ``before``'s version; else ``ConcurrentUpdate``."""
