"""The DynamoDB store: one object that implements every capability's port, one module per aggregate
(``accounts``, ``sessions``, ``codes``, ``apps``) over the shared transaction helper (``table``) and
the item codecs (``items``)."""

from .accounts import AccountTable
from .apps import AppTable
from .codes import CodeTable
from .migrations import IdentifierMigration
from .sessions import SessionTable


class DynamoStore(AccountTable, SessionTable, CodeTable, AppTable, IdentifierMigration):
    """Every port of the domain on one table, built once per container (``api.runtime.store``)."""
