"""What accounts need from storage."""

from typing import Protocol

from ...models.account import CustomerAccount
from ..logins.login import Login
from .records import AccountChange, AccountUpdate, LoginContext, StoredAccount


class AccountStore(Protocol):
    def insert_account(self, tenant_id: int, account: CustomerAccount) -> bool:
        """Store a new account; ``False`` when its id is already taken."""

    def get_account(self, tenant_id: int, account_id: int) -> StoredAccount | None: ...


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
