"""Account administration by the storefront's app: deleting an account with its login
(CONTRACT.md §9).

A delete is two steps. The first is one conditional write to the login: its generation moves on
(every session dies at once) and it is marked deleted (nothing can use it again, whatever lock or
password change follows). The second removes everything: sessions and codes, then the account, the
login and its identifier reservations in one transaction. A crash between them leaves a login
nobody can use, and the next DELETE, finding it marked, finishes the job.
"""

from .caller import Caller
from .clock import Clock
from .errors import ConcurrentUpdate, NotFound, Unavailable
from .ports import AccountAdminStore

_ATTEMPTS = 3


def not_found(account_id: int) -> NotFound:
    return NotFound(f"Account {account_id} was not found.", field="accountId")


class AccountAdminService:
    def __init__(self, store: AccountAdminStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def delete(self, caller: Caller, account_id: int) -> None:
        """Delete the account, its login, sessions, codes and identifier reservations; 404 when
        there is no such account in the caller's tenant (a second delete too)."""
        for _ in range(_ATTEMPTS):
            context = self._store.load_login(caller.tenant_id, account_id, with_tenant=False)
            stored, login = context.account, context.login
            if stored is None:
                raise not_found(account_id)
            if login is not None and login.deleted_at is None:
                marked = login.deleting(self._clock())
                try:
                    self._store.replace_login(login, marked)
                except ConcurrentUpdate:
                    continue  # the login changed under us: read it again
                login = marked
            self._store.clear_account_partition(caller.tenant_id, account_id)
            try:
                self._store.delete_account(stored, login)
            except ConcurrentUpdate:
                continue  # the account changed (an update, a Create-Login): read it again
            return
        raise Unavailable("the account kept changing during its delete")
