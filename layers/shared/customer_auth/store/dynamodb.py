"""The DynamoDB store: implements the domain's ports with GetItem, BatchGetItem and transactions."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.codes import CodeRedeemed, LoginWithCode, OneTimeCode
from ..domain.errors import AccountIdTaken, ConcurrentUpdate, Conflict, Unavailable
from ..domain.records import (
    NO_ACCOUNT,
    AccountChange,
    AccountUpdate,
    AppClient,
    AppRefreshToken,
    CodeChallenge,
    Login,
    LoginContext,
    NewLogin,
    RefreshToken,
    SecondFactorPassed,
    Session,
    SessionContext,
    StoredAccount,
)
from ..domain.tenants import Tenant
from ..models.account import CustomerAccount
from ..tokens.opaque import SessionLocator
from . import items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_NOT_EXISTS = "attribute_not_exists(pk)"
_BATCH_ATTEMPTS = 5
_BATCH_WRITE_SIZE = 25


class DynamoStore:
    def __init__(self, client: "DynamoDBClient", table_name: str) -> None:
        self._db = client
        self._table = table_name

    # -- accounts --------------------------------------------------------------------------
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

    def create_login(self, new_login: NewLogin) -> None:
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

    # -- sign-in and sessions ----------------------------------------------------------------
    def identify(self, tenant_id: int, normalized: str) -> tuple[int | None, Tenant | None]:
        identifier_key, tenant_key = items.identifier_key(tenant_id, normalized), items.tenant_key(tenant_id)
        found = self._batch_get([identifier_key, tenant_key])
        identifier, tenant = found.get(_key_id(identifier_key)), found.get(_key_id(tenant_key))
        return (
            items.identifier_account_id(identifier) if identifier else None,
            items.tenant_from(tenant) if tenant else None,
        )

    def spend_refused_write(self, tenant_id: int, normalized: str) -> None:
        try:
            with _unavailable_on_failure():
                self._db.update_item(
                    TableName=self._table,
                    Key=items.never_stored_key(tenant_id, normalized),
                    UpdateExpression="SET #spent = :spent",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeNames={"#spent": "spent"},
                    ExpressionAttributeValues={":spent": {"BOOL": True}},
                )
        except ClientError as error:
            if _code(error) != "ConditionalCheckFailedException":
                raise

    def load_session(
        self,
        locator: SessionLocator,
        *,
        refresh_digest: str | None = None,
        access_digest: str | None = None,
        with_tenant: bool = True,
        with_challenge: bool = False,
    ) -> SessionContext:
        """A shopper token's session, login, account (and tenant, and 2FA code), with the token
        itself, in one read."""
        t, a = locator.tenant_id, locator.account_id
        keys = {"session": items.session_key(t, a, locator.sid)}
        if a != NO_ACCOUNT:  # an anonymous shopper has no login or account to read
            keys["login"], keys["account"] = items.login_key(t, a), items.account_key(t, a)
        if with_tenant:
            keys["tenant"] = items.tenant_key(t)
        if refresh_digest is not None:
            keys["refresh"] = items.refresh_key(refresh_digest)
        if access_digest is not None:
            keys["access"] = items.access_key(access_digest)
        if with_challenge:
            keys["challenge"] = items.challenge_key(t, a)
        found = self._batch_get(list(keys.values()))
        got = {name: found.get(_key_id(k)) for name, k in keys.items()}
        return SessionContext(
            session=items.session_from(got["session"]) if got["session"] else None,
            login=items.login_from(login) if (login := got.get("login")) else None,
            account=items.stored_account_from(account) if (account := got.get("account")) else None,
            tenant=items.tenant_from(tenant) if (tenant := got.get("tenant")) else None,
            refresh_token=items.refresh_from(refresh) if (refresh := got.get("refresh")) else None,
            access_token=items.access_from(access) if (access := got.get("access")) else None,
            challenge=items.challenge_from(code) if (code := got.get("challenge")) else None,
        )

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

    def start_session(
        self,
        before: Login,
        after: Login,
        session: Session,
        refresh: RefreshToken | None,
        account: AccountChange | None = None,
    ) -> None:
        """A sign-in: the login's update and the new session, or nothing (``ConcurrentUpdate``).
        A session waiting for its second factor has no refresh token."""
        transaction = [self._login_replacement(before, after), *self._session_puts(session, refresh)]
        if account is not None:
            transaction.append(self._account_update(account))
        self._concurrent_unless_written(transaction)

    def rotate_session(
        self, before: Session, after: Session, refresh: RefreshToken, login: Login | None
    ) -> None:
        """Move the family's head from ``before`` to ``after`` in one conditional write: only one of
        any number of concurrent refreshes with the same token succeeds (``ConcurrentUpdate``).
        A customer's family also needs its login's generation unchanged; an anonymous one
        (``login=None``) has no login."""
        session_put = self._put(items.session_item(after), "#head = :parent")
        session_put["Put"]["ExpressionAttributeNames"] = {"#head": "headDigest"}
        session_put["Put"]["ExpressionAttributeValues"] = {":parent": {"S": before.head_digest}}
        transaction: list[TransactWriteItemTypeDef] = [
            session_put,
            self._put(items.refresh_item(refresh), _NOT_EXISTS),
            self._put(items.access_item(after), _NOT_EXISTS),
        ]
        if login is not None:
            transaction.append(
                {
                    "ConditionCheck": {
                        "TableName": self._table,
                        "Key": items.login_key(login.tenant_id, login.account_id),
                        "ConditionExpression": "#generation = :generation",
                        "ExpressionAttributeNames": {"#generation": "generation"},
                        "ExpressionAttributeValues": {":generation": {"N": str(login.generation)}},
                    }
                }
            )
        self._concurrent_unless_written(transaction)

    def start_anonymous_session(self, session: Session, refresh: RefreshToken) -> None:
        """An anonymous shopper's session and its two tokens, all or nothing."""
        self._concurrent_unless_written(self._session_puts(session, refresh))

    def replace_challenge(self, before: CodeChallenge, after: CodeChallenge | None) -> None:
        self._replace_versioned(items.CHALLENGE, before, after)

    def complete_second_factor(self, passed: SecondFactorPassed) -> None:
        """The waiting session replaced by a full one, the code spent, the login and account
        updated: all or nothing (``ConcurrentUpdate``)."""
        waiting = passed.waiting
        self._concurrent_unless_written(
            [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": items.session_key(waiting.tenant_id, waiting.account_id, waiting.sid),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                self._versioned_put(
                    items.challenge_item(passed.challenge_after), passed.challenge_before.version
                ),
                self._login_replacement(passed.login_before, passed.login_after),
                self._account_update(passed.account),
                *self._session_puts(passed.session, passed.refresh_token),
            ]
        )

    def end_session(self, session: Session) -> None:
        """Revoke one session: its refresh family and access tokens die with it."""
        with _unavailable_on_failure():
            self._db.delete_item(
                TableName=self._table,
                Key=items.session_key(session.tenant_id, session.account_id, session.sid),
            )

    # -- one-time codes (password recovery) -------------------------------------------------
    def load_login_with_code(self, tenant_id: int, account_id: int, purpose: str) -> LoginWithCode:
        account_key = items.account_key(tenant_id, account_id)
        login_key = items.login_key(tenant_id, account_id)
        code_key = items.one_time_code_key(tenant_id, account_id, purpose)
        found = self._batch_get([account_key, login_key, code_key])
        account, login, code = (found.get(_key_id(k)) for k in (account_key, login_key, code_key))
        return LoginWithCode(
            account=items.stored_account_from(account) if account else None,
            login=items.login_from(login) if login else None,
            code=items.one_time_code_from(code) if code else OneTimeCode(tenant_id, account_id, purpose),
        )

    def replace_code(self, before: OneTimeCode, after: OneTimeCode | None) -> None:
        self._replace_versioned(items.ONE_TIME_CODE, before, after)

    def _replace_versioned[C: (CodeChallenge, OneTimeCode)](
        self, codec: "items.Codec[C]", before: C, after: C | None
    ) -> None:
        """Write ``after`` (or, with ``None``, delete the item) if the stored code is still at
        ``before``'s version (0: none stored); else ``ConcurrentUpdate``."""
        condition = _version_condition(before.version)
        try:
            with _unavailable_on_failure():
                if after is None:
                    self._db.delete_item(TableName=self._table, Key=codec.key(before), **condition)
                else:
                    self._db.put_item(TableName=self._table, Item=codec.item(after), **condition)
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                raise ConcurrentUpdate() from None
            raise

    def redeem_code(self, redeemed: CodeRedeemed) -> None:
        """The code spent and the login (and account) changed, and a sign-in's session started: all
        or nothing (``ConcurrentUpdate``)."""
        transaction = [
            self._versioned_put(items.one_time_code_item(redeemed.code_after), redeemed.code_before.version),
            self._login_replacement(redeemed.login_before, redeemed.login_after),
        ]
        if redeemed.account is not None:
            transaction.append(self._account_update(redeemed.account))
        if redeemed.session is not None:
            transaction.extend(self._session_puts(redeemed.session, redeemed.refresh_token))
        self._concurrent_unless_written(transaction)

    # -- account administration ------------------------------------------------------------
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

    # -- applications ----------------------------------------------------------------------
    def get_client(self, client_id: str) -> AppClient | None:
        with _unavailable_on_failure():
            found = self._db.get_item(TableName=self._table, Key=items.client_key(client_id)).get("Item")
        return items.client_from(found) if found else None

    def get_client_and_refresh(
        self, client_id: str, refresh_digest: str
    ) -> tuple[AppClient | None, AppRefreshToken | None]:
        client_key, refresh_key = items.client_key(client_id), items.app_refresh_key(refresh_digest)
        found = self._batch_get([client_key, refresh_key])
        client, refresh = found.get(_key_id(client_key)), found.get(_key_id(refresh_key))
        return (
            items.client_from(client) if client else None,
            items.app_refresh_from(refresh) if refresh else None,
        )

    def get_app_refresh(self, refresh_digest: str) -> AppRefreshToken | None:
        with _unavailable_on_failure():
            found = self._db.get_item(
                TableName=self._table, Key=items.app_refresh_key(refresh_digest), ConsistentRead=True
            ).get("Item")
        return items.app_refresh_from(found) if found else None

    def delete_app_refresh(self, refresh_digest: str) -> None:
        with _unavailable_on_failure():
            self._db.delete_item(TableName=self._table, Key=items.app_refresh_key(refresh_digest))

    def put_app_refresh(self, token: AppRefreshToken) -> None:
        with _unavailable_on_failure():
            self._db.put_item(
                TableName=self._table, Item=items.app_refresh_item(token), ConditionExpression=_NOT_EXISTS
            )

    def rotate_app_refresh(self, old: AppRefreshToken, new: AppRefreshToken) -> bool:
        try:
            with _unavailable_on_failure():
                self._db.transact_write_items(
                    TransactItems=[
                        {
                            "Delete": {
                                "TableName": self._table,
                                "Key": items.app_refresh_key(old.digest),
                                "ConditionExpression": "attribute_exists(pk)",
                            }
                        },
                        self._put(items.app_refresh_item(new), _NOT_EXISTS),
                    ]
                )
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons = {r.get("Code") for r in error.response.get("CancellationReasons", [])}
            if "ConditionalCheckFailed" in reasons:
                return False
            raise ConcurrentUpdate() from None  # a conflict with another write: the token may still be good
        return True

    # -- operator provisioning -------------------------------------------------------------
    def get_tenant(self, tenant_id: int) -> Tenant | None:
        with _unavailable_on_failure():
            found = self._db.get_item(
                TableName=self._table, Key=items.tenant_key(tenant_id), ConsistentRead=True
            ).get("Item")
        return items.tenant_from(found) if found else None

    def put_tenant(self, tenant: Tenant) -> None:
        with _unavailable_on_failure():
            self._db.put_item(TableName=self._table, Item=items.tenant_item(tenant))

    def put_client(self, client: AppClient) -> None:
        with _unavailable_on_failure():
            self._db.put_item(TableName=self._table, Item=items.client_item(client))

    # -- operator migrations -----------------------------------------------------------------
    def renormalize_identifiers(self, tenant_id: int | None = None) -> dict[str, Any]:
        """Re-key the reservations of logins stored before identifiers were NFKC-normalized
        (issue 15): each identifier whose key under ``normalize_identifier`` differs from its old
        ``strip().casefold()`` key gets the new reservation and loses the old one, in one
        transaction. A new key already held by another login is a look-alike pair: reported for
        the operator to resolve, and left as it was. Safe to run again. Scans the table."""
        report: dict[str, Any] = {"logins": 0, "rekeyed": 0, "unchanged": 0, "conflicts": []}
        prefix = "ACCOUNT#" if tenant_id is None else f"ACCOUNT#{tenant_id}#"
        paginator = self._db.get_paginator("scan")
        pages = paginator.paginate(
            TableName=self._table,
            ConsistentRead=True,
            FilterExpression="sk = :login AND begins_with(pk, :prefix)",
            ExpressionAttributeValues={":login": {"S": "LOGIN"}, ":prefix": {"S": prefix}},
        )
        for page in pages:
            for item in page.get("Items", []):
                login = items.login_from(item)
                report["logins"] += 1
                for normalized, field in login.identifiers().items():
                    raw = login.email if field == "emailAddress" else login.username
                    old = (raw or "").strip().casefold()
                    if old == normalized:
                        report["unchanged"] += 1
                        continue
                    outcome = self._rekey_identifier(login, old, normalized, field)
                    if outcome in ("moved", "done"):
                        report["rekeyed" if outcome == "moved" else "unchanged"] += 1
                    else:
                        report["conflicts"].append(
                            {
                                "tenantId": login.tenant_id,
                                "accountId": login.account_id,
                                "field": field,
                                "heldByAccountId": outcome,
                            }
                        )
        return report

    def _rekey_identifier(self, login: Login, old: str, new: str, field: str) -> str | int:
        """Move one reservation: ``"moved"``, ``"done"`` (by an earlier run), or the account id of
        the login that holds the new key."""
        new_key, old_key = (
            items.identifier_key(login.tenant_id, new),
            items.identifier_key(login.tenant_id, old),
        )
        held = self._batch_get([new_key, old_key])
        holder, old_item = held.get(_key_id(new_key)), held.get(_key_id(old_key))
        if holder is not None and items.identifier_account_id(holder) != login.account_id:
            return items.identifier_account_id(holder)
        if holder is not None and old_item is None:
            return "done"
        transaction: list[TransactWriteItemTypeDef] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": items.identifier_key(login.tenant_id, old),
                    "ConditionExpression": "attribute_not_exists(pk) OR accountId = :account",
                    "ExpressionAttributeValues": {":account": {"N": str(login.account_id)}},
                }
            }
        ]
        if holder is None:
            transaction.append(self._put(items.identifier_item(login, new, field), _NOT_EXISTS))
        self._concurrent_unless_written(transaction)
        return "moved"

    # -- helpers ---------------------------------------------------------------------------
    def _transact(self, transaction: "list[TransactWriteItemTypeDef]") -> list[str] | None:
        """Run a transaction; ``None`` when written, else the cancellation reason of each item."""
        try:
            with _unavailable_on_failure():
                self._db.transact_write_items(TransactItems=transaction)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            return [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
        return None

    def _concurrent_unless_written(self, transaction: "list[TransactWriteItemTypeDef]") -> None:
        reasons = self._transact(transaction)
        if reasons is None:
            return
        if {"ConditionalCheckFailed", "TransactionConflict"} & set(reasons):
            raise ConcurrentUpdate()
        raise Unavailable(f"unexpected transaction cancellation: {reasons}")

    def _login_replacement(self, before: Login, after: Login) -> "TransactWriteItemTypeDef":
        return self._versioned_put(items.login_item(after), before.version)

    def _versioned_put(self, item: items.Item, expected_version: int) -> "TransactWriteItemTypeDef":
        """A put of ``item`` if the stored one is still at ``expected_version`` (0: none stored)."""
        return {"Put": {"TableName": self._table, "Item": item, **_version_condition(expected_version)}}  # type: ignore[typeddict-item]

    def _account_update(self, change: AccountChange) -> "TransactWriteItemTypeDef":
        before = change.before
        after = items.account_item(before.tenant_id, change.after, before.version + 1)
        return {
            "Update": {
                "TableName": self._table,
                "Key": items.account_key(before.tenant_id, before.account.id),
                "UpdateExpression": "SET #doc = :doc, #version = :next",
                "ConditionExpression": "#version = :expected",
                "ExpressionAttributeNames": {"#doc": "doc", "#version": "version"},
                "ExpressionAttributeValues": {
                    ":doc": after["doc"],
                    ":next": {"N": str(before.version + 1)},
                    ":expected": {"N": str(before.version)},
                },
            }
        }

    def _session_puts(
        self, session: Session, refresh: RefreshToken | None
    ) -> "list[TransactWriteItemTypeDef]":
        return [
            self._put(items.session_item(session), _NOT_EXISTS),
            self._put(items.access_item(session), _NOT_EXISTS),
            *([self._put(items.refresh_item(refresh), _NOT_EXISTS)] if refresh is not None else []),
        ]

    def _put(self, item: items.Item, condition: str) -> "TransactWriteItemTypeDef":
        return {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": condition}}

    def _batch_delete(self, keys: list[items.Item]) -> None:
        """Delete up to 25 items by key (more round trips only if throttled)."""
        pending: list[Any] = [{"DeleteRequest": {"Key": k}} for k in keys]
        for _ in range(_BATCH_ATTEMPTS):
            with _unavailable_on_failure():
                response = self._db.batch_write_item(RequestItems={self._table: pending})
            pending = list((response.get("UnprocessedItems") or {}).get(self._table, []))
            if not pending:
                return
        raise Unavailable("DynamoDB left deletes unprocessed after retries")

    def _batch_get(self, keys: list[items.Item]) -> dict[tuple[str, str], items.Item]:
        """Items by (pk, sk), read consistently in one round trip (more only if throttled)."""
        found: dict[tuple[str, str], items.Item] = {}
        pending: list[Any] = keys
        for _ in range(_BATCH_ATTEMPTS):
            with _unavailable_on_failure():
                response = self._db.batch_get_item(
                    RequestItems={self._table: {"Keys": pending, "ConsistentRead": True}}
                )
            for item in response.get("Responses", {}).get(self._table, []):
                found[_key_id(item)] = item
            unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
            pending = unprocessed.get(self._table, {}).get("Keys", [])
            if not pending:
                return found
        raise Unavailable("DynamoDB left keys unprocessed after retries")


def _version_condition(expected: int) -> dict[str, Any]:
    """The condition that an item is at version ``expected`` (0: that it does not exist), as the
    keyword arguments of a write."""
    if expected == 0:
        return {"ConditionExpression": _NOT_EXISTS}
    return {
        "ConditionExpression": "#version = :expected",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":expected": {"N": str(expected)}},
    }


def _key_id(item: items.Item) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


_RETRYABLE = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
}


@contextmanager
def _unavailable_on_failure() -> Iterator[None]:
    """Turn throttling, DynamoDB faults and network failures (after the SDK's retries) into 503s."""
    try:
        yield
    except ClientError as error:
        if (
            _code(error) in _RETRYABLE
            or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) >= 500
        ):
            raise Unavailable(f"DynamoDB: {_code(error)}") from error
        if _code(error) == "TransactionCanceledException" and any(
            r.get("Code") in {"ThrottlingError", "ProvisionedThroughputExceeded"}
            for r in error.response.get("CancellationReasons", [])
        ):
            raise Unavailable("DynamoDB throttled the transaction") from error
        raise
    except BotoCoreError as error:
        raise Unavailable(f"DynamoDB unreachable: {type(error).__name__}") from error
