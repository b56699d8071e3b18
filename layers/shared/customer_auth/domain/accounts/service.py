"""Customer accounts: creating and reading them within the caller's tenant."""

import secrets
from datetime import datetime

from ...models.account import AuditInfo, CustomerAccount
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import AccountIdTaken, InvalidParameter, NotFound
from ..kernel.identifiers import checked_email
from ..kernel.retry import Retry
from .ports import AccountStore

MAX_ACCOUNT_ID = 2**31 - 1
"""Kibo's account ids are int32; SDKs in typed languages hold them as such."""

ID_ATTEMPTS = 8
"""Random account ids to draw before giving up: a collision is (accounts / 2^31) likely."""

MAX_ACCOUNT_DOCUMENT_BYTES = 100_000
"""Keeps a stored account far below DynamoDB's 400 KB item limit, whatever the field limits allow."""


def random_account_id() -> int:
    # Random ids written with a must-not-exist condition: no counter (no hot item), and a
    # collision is detected by the store and retried, never overwritten.
    return secrets.randbelow(MAX_ACCOUNT_ID) + 1


def check_new_account(requested: CustomerAccount) -> None:
    """The refusals of an account's fields, before any id is drawn."""
    if requested.email_address is not None:
        checked_email(requested.email_address)
    if len(requested.model_dump_json(by_alias=True)) > MAX_ACCOUNT_DOCUMENT_BYTES:
        raise InvalidParameter(
            f"The account is larger than {MAX_ACCOUNT_DOCUMENT_BYTES} bytes.", field="body"
        )


def new_account(
    caller: Caller, requested: CustomerAccount, account_id: int, now: datetime
) -> CustomerAccount:
    """The account to store for the client's fields: the server owns ids, login and audit fields."""
    return requested.model_copy(
        update={
            "id": account_id,
            "user_id": None,
            "user_name": None,
            "is_locked": False,
            "has_external_password": False,
            "last_2fa_date": None,
            "customer_since_date": requested.customer_since_date or now,
            "audit_info": AuditInfo(
                create_date=now, create_by=caller.client_id, update_date=now, update_by=caller.client_id
            ),
            "contacts": [
                contact.model_copy(update={"id": index, "account_id": account_id})
                for index, contact in enumerate(requested.contacts or [], start=1)
            ]
            if requested.contacts is not None
            else None,
            "notes": [
                note.model_copy(
                    update={"id": index, "audit_info": AuditInfo(create_date=now, create_by=caller.client_id)}
                )
                for index, note in enumerate(requested.notes or [], start=1)
            ]
            if requested.notes is not None
            else None,
        }
    )


class AccountService:
    def __init__(self, store: AccountStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def add(self, caller: Caller, requested: CustomerAccount) -> CustomerAccount:
        """Create an account from the client's fields; the server owns ids, login and audit fields."""
        check_new_account(requested)
        now = self._clock()
        retry = Retry(ID_ATTEMPTS, also=AccountIdTaken)
        while True:
            with retry:
                account = new_account(caller, requested, random_account_id(), now)
                if not self._store.insert_account(caller.tenant_id, account):
                    raise AccountIdTaken()
                return account

    def get(self, caller: Caller, account_id: int) -> CustomerAccount:
        stored = self._store.get_account(caller.tenant_id, account_id)
        if stored is None:
            raise NotFound(f"Account {account_id} was not found.", field="accountId")
        return stored.account
