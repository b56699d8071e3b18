"""What a sign-in writes in one atomic step: a new login's, and a second factor's."""

from dataclasses import dataclass, field

from ...models.account import CustomerAccount
from ..accounts.records import AccountChange, StoredAccount
from ..codes.challenge import CodeChallenge
from ..logins.login import Login
from ..sessions.records import RefreshToken, Session


@dataclass(frozen=True, slots=True)
class NewLogin:
    """Everything Create-Login writes in one atomic step."""

    login: Login
    account_before: StoredAccount | None
    """``None`` when the account is created in the same write (Add-Account-And-Login)."""
    account_after: CustomerAccount
    session: Session
    refresh_token: RefreshToken
    identifier_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SecondFactorPassed:
    """Everything a correct code writes in one atomic step: the waiting session replaced by a full
    one, the code spent, the device trusted, the account's ``last2FaDate`` stamped."""

    waiting: Session
    challenge_before: CodeChallenge
    challenge_after: CodeChallenge
    login_before: Login
    login_after: Login
    account: AccountChange
    session: Session
    refresh_token: RefreshToken
