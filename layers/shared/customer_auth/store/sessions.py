"""Shopper sessions: session items with their access and refresh tokens, a waiting session's
two-factor code, and sign-in's reads and writes."""

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from ..domain.accounts.records import NO_ACCOUNT, AccountChange
from ..domain.codes.challenge import CodeChallenge
from ..domain.logins.login import Login
from ..domain.sessions.records import RefreshToken, Session, SessionContext
from ..domain.tenants.tenant import Tenant
from ..tokens.opaque import SessionLocator
from . import items
from .table import _NOT_EXISTS, Table, _code, _key_id, _unavailable_on_failure

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

    from ..domain.signin.records import SecondFactorPassed


class SessionTable(Table):
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

    def complete_second_factor(self, passed: "SecondFactorPassed") -> None:
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
