"""What a right code writes (password recovery, passwordless sign-in)."""

from dataclasses import dataclass

from ..accounts.records import AccountChange
from ..codes.records import OneTimeCode
from ..logins.login import Login
from ..sessions.records import RefreshToken, Session


@dataclass(frozen=True, slots=True)
class CodeRedeemed:
    """Everything a code writes in one atomic step: the code spent (or a try of it), the login
    changed (and the account brought in step with it), and for a sign-in its new session."""

    code_before: OneTimeCode
    code_after: OneTimeCode
    login_before: Login
    login_after: Login
    account: AccountChange | None
    session: Session | None = None
    refresh_token: RefreshToken | None = None
