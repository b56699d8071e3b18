"""The DynamoDB store: implements the domain's ports with GetItem, BatchGetItem and transactions."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..domain.errors import ConcurrentUpdate, Conflict, Unavailable
from ..domain.records import AppClient, AppRefreshToken, LoginContext, NewLogin, StoredAccount
from ..domain.tenants import Tenant
from ..models.account import CustomerAccount
from . import items

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

_NOT_EXISTS = "attribute_not_exists(pk)"
_BATCH_ATTEMPTS = 5


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

    def load_for_login(self, tenant_id: int, account_id: int) -> LoginContext:
        account_key = items.account_key(tenant_id, account_id)
        login_key = items.login_key(tenant_id, account_id)
        tenant_key = items.tenant_key(tenant_id)
        found = self._batch_get([account_key, login_key, tenant_key])
        account = found.get(_key_id(account_key))
        tenant = found.get(_key_id(tenant_key))
        return LoginContext(
            account=items.stored_account_from(account) if account else None,
            has_login=_key_id(login_key) in found,
            tenant=items.tenant_from(tenant) if tenant else None,
        )

    def create_login(self, new_login: NewLogin) -> None:
        login = new_login.login
        before = new_login.account_before
        after = items.account_item(before.tenant_id, new_login.account_after, before.version + 1)
        transaction: list[TransactWriteItemTypeDef] = [
            {
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
            },
            self._put(items.login_item(login), _NOT_EXISTS),
        ]
        fields = list(new_login.identifier_fields.items())
        transaction += [
            self._put(items.identifier_item(login, normalized, field), _NOT_EXISTS)
            for normalized, field in fields
        ]
        transaction += [
            self._put(items.session_item(new_login.session), _NOT_EXISTS),
            self._put(items.access_item(new_login.session), _NOT_EXISTS),
            self._put(items.refresh_item(new_login.refresh_token), _NOT_EXISTS),
        ]
        try:
            with _unavailable_on_failure():
                self._db.transact_write_items(TransactItems=transaction)
        except ClientError as error:
            if _code(error) != "TransactionCanceledException":
                raise
            reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            failed = {index for index, code in enumerate(reasons) if code == "ConditionalCheckFailed"}
            if 1 in failed:
                raise Conflict(
                    f"Account {before.account.id} already has a login.", field="accountId"
                ) from None
            for offset, (_, field) in enumerate(fields, start=2):
                if offset in failed:
                    raise Conflict(f"The {field} is already used by another login.", field=field) from None
            if 0 in failed or "TransactionConflict" in reasons:
                raise ConcurrentUpdate() from None
            raise Unavailable(f"unexpected transaction cancellation: {reasons}") from None

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
            if _code(error) == "TransactionCanceledException":
                return False
            raise
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

    # -- helpers ---------------------------------------------------------------------------
    def _put(self, item: items.Item, condition: str) -> "TransactWriteItemTypeDef":
        return {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": condition}}

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
