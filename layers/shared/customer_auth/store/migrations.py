"""The operator's migrations (run from a workstation with tools.operator, never by a function)."""

from typing import TYPE_CHECKING, Any

from ..domain.logins.login import Login
from . import items
from .table import _NOT_EXISTS, Table, _key_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class IdentifierMigration(Table):
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
