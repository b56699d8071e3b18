"""Account administration by the storefront's app: updating an account (moving its login's
identifiers with it) and deleting an account with its login (docs/contract.md §9).

An update is one transaction guarded by the account's version (and the login's): of concurrent
updates each is applied whole, one after the other, never a mix; a loser re-reads and applies
its document again (up to five times, then 503). A changed email or username of an account with
a login moves the reservations in the same transaction (409 naming the field if taken). A changed
email then goes out as an ``AccountEmailChanged`` event, so the old address can be told; if it
cannot be put, the update is undone and the answer is 503.

A delete is two steps. The first is one conditional write to the login: its generation moves on
(every session dies at once) and it is marked deleted (nothing can use it again, whatever lock or
password change follows). The second removes everything: sessions and codes, then the account, the
login and its identifier reservations in one transaction. A crash between them leaves a login
nobody can use, and the next DELETE, finding it marked, finishes the job.
"""

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from ...models.account import CustomerAccount
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import ConcurrentUpdate, Conflict, NotFound, Unavailable
from ..kernel.identifiers import checked_email, checked_username, normalize_identifier
from ..kernel.outbox import EventOutbox, OutboxEvent
from ..kernel.retry import Retry
from ..logins.login import Login
from ..logins.notices import account_deleted, send_notice
from .ports import AccountAdminStore
from .records import AccountChange, AccountUpdate
from .service import check_new_account

EMAIL_CHANGED_EVENT = "AccountEmailChanged"

_ATTEMPTS = 5
"""Reads and writes before a request gives up (503) while others keep changing the account."""


def not_found(account_id: int) -> NotFound:
    return NotFound(f"Account {account_id} was not found.", field="accountId")


def updated_account(
    caller: Caller, stored: CustomerAccount, requested: CustomerAccount, has_login: bool, now: datetime
) -> CustomerAccount:
    """The client's document with the server's fields kept: ids, login flags, audit, summary. The
    user name belongs to the login (absent: kept); an email left out of a login's account is kept.
    A user name that was the email (Create-Login's default) follows a changed email unless the
    client changes the user name too, so the old address signs nobody in."""
    email = requested.email_address
    user_name = stored.user_name
    if has_login:
        email = checked_email(email) if email is not None else stored.email_address
        asked = checked_username(requested.user_name) if requested.user_name is not None else None
        if asked is not None and not _same(asked, stored.user_name):
            user_name = asked
        elif _same(stored.user_name, stored.email_address) and not _same(email, stored.email_address):
            user_name = email
    audit = stored.audit_info.model_copy(update={"update_date": now, "update_by": caller.client_id})
    return requested.model_copy(
        update={
            "id": stored.id,
            "user_id": stored.user_id,
            "user_name": user_name,
            "email_address": email,
            "is_anonymous": stored.is_anonymous,
            "is_locked": stored.is_locked,
            "has_external_password": stored.has_external_password,
            "last_2fa_date": stored.last_2fa_date,
            "commerce_summary": stored.commerce_summary,
            "audit_info": audit,
            "customer_since_date": requested.customer_since_date or stored.customer_since_date,
        }
    )


@dataclass(frozen=True, slots=True)
class AccountAdminService:
    _store: AccountAdminStore
    _clock: Clock
    _outbox: Callable[[], EventOutbox] | None = None

    def update(
        self, caller: Caller, site_id: int | None, account_id: int, requested: CustomerAccount
    ) -> CustomerAccount:
        """Replace the account's client-owned fields; its login's identifiers move with it."""
        check_new_account(requested)
        retry = Retry(_ATTEMPTS)
        while True:
            with retry:
                context = self._store.load_login(caller.tenant_id, account_id, with_tenant=False)
                stored, login = context.account, context.login
                if stored is None or (login is not None and login.deleted_at is not None):
                    raise not_found(account_id)
                now = self._clock()
                after = updated_account(caller, stored.account, requested, login is not None, now)
                renamed = _renamed(login, after, now)
                update = AccountUpdate(AccountChange(stored, after), login, renamed)
                try:
                    self._store.update_account(update)
                except Conflict as taken:
                    field = "userName" if taken.field == "username" else taken.field
                    raise Conflict(f"The {field} is already used by another login.", field=field) from None
                if login is not None and renamed is not None and not _same(login.email, renamed.email):
                    self._announce(caller, site_id, login, renamed, now, update)
                return after

    def _announce(
        self,
        caller: Caller,
        site_id: int | None,
        login: Login,
        renamed: Login,
        now: datetime,
        update: AccountUpdate,
    ) -> None:
        """The ``AccountEmailChanged`` event (no secrets); if it cannot be put, the update undone."""
        if self._outbox is None:
            raise RuntimeError("an outbox is needed to announce email changes")
        event = OutboxEvent(
            EMAIL_CHANGED_EVENT,
            {
                "tenantId": caller.tenant_id,
                "siteId": site_id,
                "accountId": login.account_id,
                "userId": login.user_id,
                "userName": renamed.username,
                "oldEmailAddress": login.email,
                "newEmailAddress": renamed.email,
                "changedAt": now.isoformat(),
            },
            {"userId": login.user_id, "accountId": login.account_id},
        )
        try:
            self._outbox().publish(event)
        except Unavailable:
            # Undone, so the old address is never left untold of a change that stands.
            with suppress(ConcurrentUpdate, Conflict, Unavailable):
                self._store.undo_account_update(update)
            raise

    def delete(self, caller: Caller, account_id: int) -> None:
        """Delete the account, its login, sessions, codes and identifier reservations; 404 when
        there is no such account in the caller's tenant (a second delete too)."""
        # A lost race (the login or the account changed: an update, a Create-Login) reads again.
        retry = Retry(_ATTEMPTS)
        while True:
            with retry:
                context = self._store.load_login(caller.tenant_id, account_id, with_tenant=False)
                stored, login = context.account, context.login
                if stored is None:
                    raise not_found(account_id)
                if login is not None and login.deleted_at is None:
                    marked = login.deleting(self._clock())
                    self._store.replace_login(login, marked)
                    login = marked
                self._store.clear_account_partition(caller.tenant_id, account_id)
                self._store.delete_account(stored, login)
                if login is not None:
                    email = login.email or stored.account.email_address
                    send_notice(self._outbox, account_deleted(login, caller.site_id, email, self._clock()))
                return


def _renamed(login: Login | None, account: CustomerAccount, now: datetime) -> Login | None:
    """The login with the account's new email and user name, if either changed."""
    if login is None:
        return None
    email, username = account.email_address, account.user_name or login.username
    if email == login.email and username == login.username:
        return None
    return login.renamed(email, username, now)


def _same(one: str | None, other: str | None) -> bool:
    """Whether two identifiers are the same login name (both absent counts as the same)."""
    if one is None or other is None:
        return one is other
    return normalize_identifier(one) == normalize_identifier(other)
