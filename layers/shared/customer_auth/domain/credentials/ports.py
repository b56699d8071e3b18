"""What credentials need from storage."""

from typing import Protocol

from ..accounts.records import AccountChange, LoginContext
from ..codes.ports import CodeStore
from ..logins.login import Login
from ..tenants.tenant import Tenant
from .records import CodeRedeemed


class CredentialStore(Protocol):
    """Change-Password, locks and login state, Change-Passwords."""

    def identify(self, tenant_id: int, normalized: str) -> tuple[int | None, Tenant | None]:
        """The account whose login has this normalized username or email, and the tenant."""

    def load_login(self, tenant_id: int, account_id: int, *, with_tenant: bool = True) -> LoginContext:
        """The account, its login and (unless the caller has it already) the tenant, in one read."""

    def replace_login(self, before: Login, after: Login, account: AccountChange | None = None) -> None:
        """Write ``after`` if the login is still at ``before``'s version; else ``ConcurrentUpdate``."""


class CodeRedeemingStore(CodeStore, Protocol):
    """A mailed code that changes the login when it is right: recovery and passwordless sign-in."""

    def redeem_code(self, redeemed: CodeRedeemed) -> None:
        """All of a right code's writes, or none (``ConcurrentUpdate``)."""
