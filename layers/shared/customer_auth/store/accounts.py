"""Accounts and their logins: an account partition's account and login items, and the identifier
items that reserve a login's username and email."""

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..domain.accounts.records import AccountChange, AccountUpdate, LoginContext, StoredAccount
from ..domain.kernel.errors import AccountIdTaken, ConcurrentUpdate, Conflict, Unavailable
from ..domain.logins.login import Login
from ..models.account import CustomerAccount
from . import items
from .table import (
    _BATCH_WRITE_SIZE,
    _NOT_EXISTS,
    Table,
    _code,
    _key_id,
    _unavailable_on_failure,
    _version_condition,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from ..domain.signin.records import NewLogin


class AccountTable(Table):
    def insert_account(self, tenant_id: int, account: CustomerAccount) -> bool:
        try:
            with _unavailable_on_failure():
                self._db.put_item(
                    TableName=self._table,
                    Item=items.account_item(tenant_id, account, 1),
                    ConditionExpression=_NOT_EXISTS,
                )
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_account(self, tenant_id: int, account_id: int) -> StoredAccount | None:
        with _unavailable_on_failure():
            found = self._db.get_item(
                TableName=self._table, Key=items.account_key(tenant_id, account_id), ConsistentRead=True
            ).get("Item")
        return items.stored_account_from(found) if found else None

    def load_login(self, tenant_id: int, account_id: int, *, with_tenant: bool = True) -> LoginContext:
        account_key = items.account_key(tenant_id, account_id)
        login_key = items.login_key(tenant_id, account_id)
        tenant_key = items.tenant_key(tenant_id)
        found = self._batch_get([account_key, login_key, *([tenant_key] if with_tenant else [])])
        account, login, tenant = (found.get(_key_id(k)) for k in (account_key, login_key, tenant_key))
        return LoginContext(
            account=items.stored_account_from(account) if account else None,
            login=items.login_from(login) if login else None,
            tenant=items.tenant_from(tenant) if tenant else None,
        )

    def create_login(self, new_login: "NewLogin") -> None:
        login = new_login.login
        before = new_login.account_before
        account_write = (
            self._account_update(AccountChange(before, new_login.account_after))
            if before is not None
            else self._put(items.account_item(login.tenant_id, new_login.account_after, 1), _NOT_EXISTS)
        )
        fields = list(new_login.identifier_fields.items())
        transaction: list[TransactWriteItemTypeDef] = [
            account_write,
            self._put(items.login_item(login), _NOT_EXISTS),
            *(
                self._put(items.identifier_item(login, normalized, field), _NOT_EXISTS)
                for normalized, field in fields
            ),
            *self._session_puts(new_login.session, new_login.refresh_token),
        ]
        reasons = self._transact(transaction)
        if reasons is None:
            return
        failed = {index for index, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
        if 1 in failed:
            raise Conflict(f"Account {login.account_id} already has a login.", field="accountId")
        for offset, (_, field) in enumerate(fields, start=2):
            if offset in failed:
                raise Conflict(f"The {field} is already used by another login.", field=field)
        if 0 in failed and before is None:
            raise AccountIdTaken()
        if 0 in failed or "TransactionConflict" in reasons:
            raise ConcurrentUpdate()
        raise Unavailable(f"unexpected transaction cancellation: {reasons}")

    def replace_login(self, before: Login, after: Login, account: AccountChange | None = None) -> None:
        """Write ``after`` if the login is still at ``before``'s version; else ``ConcurrentUpdate``.
        With an account change, both are written in one transaction."""
        replacement = self._login_replacement(before, after)
        if account is not None:
            self._concurrent_unless_written([replacement, self._account_update(account)])
            return
        try:
            with _unavailable_on_failure():
                # A single conditional put: one write unit, where a transaction costs two.
                self._db.put_item(**replacement["Put"])
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise ConcurrentUpdate() from None
            raise

    def clear_account_partition(self, tenant_id: int, account_id: int) -> None:
        """Delete the account's sessions and codes: every item of its partition but the account
        and the login, which ``delete_account`` removes together."""
        pk = items.account_pk(tenant_id, account_id)
        keep = {"ACCOUNT", "LOGIN"}
        doomed: list[items.Item] = []
        start: dict[str, Any] | None = None
        while True:
            query: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": pk}},
                "ProjectionExpression": "pk, sk",
                "ConsistentRead": True,
            }
            if start is not None:
                query["ExclusiveStartKey"] = start
            with _unavailable_on_failure():
                page = self._db.query(**query)
            doomed.extend(k for k in page.get("Items", []) if k["sk"]["S"] not in keep)
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        for index in range(0, len(doomed), _BATCH_WRITE_SIZE):
            self._batch_delete(doomed[index : index + _BATCH_WRITE_SIZE])

    def update_account(self, update: AccountUpdate) -> None:
        self._write_account_update(update, undo=False)

    def undo_account_update(self, update: AccountUpdate) -> None:
        """Put back exactly what ``update`` replaced (versions included), if nothing changed since."""
        self._write_account_update(update, undo=True)

    def _write_account_update(self, update: AccountUpdate, *, undo: bool) -> None:
        change = update.account
        before, after = update.login_before, update.login_after
        if undo:
            stored = change.before
            restored = items.account_item(stored.tenant_id, stored.account, stored.version)
            transaction: list[TransactWriteItemTypeDef] = [self._versioned_put(restored, stored.version + 1)]
            if before is not None and after is not None:
                transaction.append(self._versioned_put(items.login_item(before), after.version))
                before, after = after, before  # the identifiers move back
        else:
            transaction = [self._account_update(change)]
            if before is not None and after is not None:
                transaction.append(self._login_replacement(before, after))
        added: list[str] = []
        if before is not None and after is not None:
            old, new = before.identifiers(), after.identifiers()
            for normalized in old.keys() - new.keys():
                transaction.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": items.identifier_key(before.tenant_id, normalized),
                            "ConditionExpression": "#account = :account",
                            "ExpressionAttributeNames": {"#account": "accountId"},
                            "ExpressionAttributeValues": {":account": {"N": str(before.account_id)}},
                        }
                    }
                )
            first_added = len(transaction)
            for normalized, field in new.items():
                if normalized not in old:
                    added.append(field)
                    transaction.append(
                        self._put(items.identifier_item(after, normalized, field), _NOT_EXISTS)
                    )
        else:
            first_added = len(transaction)
        reasons = self._transact(transaction)
        if reasons is None:
            return
        for offset, field in enumerate(added, start=first_added):
            if reasons[offset] == "ConditionalCheckFailed":
                raise Conflict(f"The {field} is already used by another login.", field=field)
        if {"ConditionalCheckFailed", "TransactionConflict"} & set(reasons):
            raise ConcurrentUpdate()
        raise Unavailable(f"unexpected transaction cancellation: {reasons}")

    def delete_account(self, account: StoredAccount, login: Login | None) -> None:
        tenant_id, account_id = account.tenant_id, account.account.id
        transaction: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": items.account_key(tenant_id, account_id),
                    **_version_condition(account.version),  # type: ignore[typeddict-item]
                }
            },
        ]
        if login is None:
            # No login was read: none may have appeared since (a Create-Login moves the account's
            # version too, but say it here where it matters).
            transaction.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": items.login_key(tenant_id, account_id),
                        "ConditionExpression": _NOT_EXISTS,
                    }
                }
            )
        else:
            transaction.append(
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": items.login_key(tenant_id, account_id),
                        **_version_condition(login.version),  # type: ignore[typeddict-item]
                    }
                }
            )
            for normalized in login.identifiers():
                # Only this login's reservation: the condition never frees another account's.
                transaction.append(
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": items.identifier_key(tenant_id, normalized),
                            "ConditionExpression": "attribute_not_exists(pk) OR #account = :account",
                            "ExpressionAttributeNames": {"#account": "accountId"},
                            "ExpressionAttributeValues": {":account": {"N": str(account_id)}},
                        }
                    }
                )
        self._concurrent_unless_written(transaction)
