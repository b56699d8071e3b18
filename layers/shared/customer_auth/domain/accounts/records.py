"""What the accounts capability keeps, and what a read of an account with its login gives."""

from dataclasses import dataclass
from datetime import datetime

from ...models.account import CustomerAccount
from ..logins.login import Login
from ..tenants.tenant import Tenant

NO_ACCOUNT = 0
"""Account ids start at 1, so no login or account is ever found under this one: reading it costs
what reading a real one does and finds nothing, and an anonymous shopper's session is filed under it."""


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """An account document and the version that guards concurrent updates."""

    tenant_id: int
    account: CustomerAccount
    version: int


@dataclass(frozen=True, slots=True)
class AccountChange:
    """An account document replaced, if it is still at ``before``'s version."""

    before: StoredAccount
    after: CustomerAccount


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """An account replaced and, when it has a login whose email or username changed, the login
    with its identifier reservations moved: one atomic write."""

    account: "AccountChange"
    login_before: "Login | None" = None
    login_after: "Login | None" = None


def account_in_step(stored: StoredAccount, login: Login, now: datetime) -> AccountChange | None:
    """The account's ``isLocked`` and ``hasExternalPassword`` brought in step with its login, if
    they differ: the login is the truth, the account document shows it."""
    account = stored.account
    flags = {"is_locked": login.locked_by_operator, "has_external_password": login.password_is_external}
    if all(getattr(account, name) == value for name, value in flags.items()):
        return None
    audit = account.audit_info.model_copy(update={"update_date": now})
    return AccountChange(stored, account.model_copy(update={**flags, "audit_info": audit}))


@dataclass(frozen=True, slots=True)
class LoginContext:
    """An account, its login and its tenant, read together: what Create-Login, sign-in, password
    changes and lock changes decide on."""

    account: StoredAccount | None
    login: Login | None
    tenant: Tenant | None
