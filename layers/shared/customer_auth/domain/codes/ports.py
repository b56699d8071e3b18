"""What mailed codes need from storage."""

from typing import Protocol

from ..tenants.tenant import Tenant
from .records import LoginWithCode, OneTimeCode


class CodeStore(Protocol):
    """A login's mailed one-time codes (recovery, passwordless sign-in), found by the login's
    username or email."""

    def identify(self, tenant_id: int, normalized: str) -> tuple[int | None, Tenant | None]: ...

    def load_login_with_code(self, tenant_id: int, account_id: int, purpose: str) -> LoginWithCode:
        """The account, its login and its code for ``purpose`` (an empty one if none), in one read."""

    def spend_refused_write(self, tenant_id: int, normalized: str) -> None: ...

    def replace_code(self, before: OneTimeCode, after: OneTimeCode | None) -> None:
        """Write ``after`` (``None``: delete) if the code is still at ``before``'s version (0: none
        stored); else ``ConcurrentUpdate``."""
