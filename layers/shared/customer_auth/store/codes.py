"""A login's mailed one-time codes (password recovery, passwordless sign-in)."""

from typing import TYPE_CHECKING

from ..domain.codes.records import LoginWithCode, OneTimeCode
from . import items
from .table import Table, _key_id

if TYPE_CHECKING:
    from ..domain.credentials.records import CodeRedeemed

    pass


class CodeTable(Table):
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

    def redeem_code(self, redeemed: "CodeRedeemed") -> None:
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
