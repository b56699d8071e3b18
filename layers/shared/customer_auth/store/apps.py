"""Applications and tenants: app clients, their refresh tokens, and the tenant items."""

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from ..domain.apps.records import AppClient, AppRefreshToken
from ..domain.kernel.errors import ConcurrentUpdate
from ..domain.tenants.tenant import Tenant
from . import items
from .table import _NOT_EXISTS, Table, _code, _key_id, _unavailable_on_failure

if TYPE_CHECKING:
    pass


class AppTable(Table):
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

    def add_tenant(self, tenant: Tenant) -> bool:
        """Store a tenant unless one with its id exists (which is left as it is): whether it did."""
        return self._put_new(items.tenant_item(tenant))

    def add_client(self, client: AppClient) -> bool:
        """Store an app client unless one with its id exists (left as it is): whether it did."""
        return self._put_new(items.client_item(client))

    def _put_new(self, item: dict[str, Any]) -> bool:
        try:
            with _unavailable_on_failure():
                self._db.put_item(TableName=self._table, Item=item, ConditionExpression=_NOT_EXISTS)
        except ClientError as error:
            if _code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True
