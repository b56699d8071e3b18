"""Change-Passwords (docs/contract.md §9): many logins' passwords set in one call, each on its own, as a
migration from another platform needs. Each item goes through the same lock, lockout and policy
rules as Change-Password, and each changed login's sessions end."""

from collections.abc import Callable
from dataclasses import dataclass

from ...models.auth import AccountPasswordInfo, ChangePasswordResult, ChangePasswordResultCollection
from ..accounts.records import account_in_step
from ..kernel.caller import Caller
from ..kernel.errors import (
    DomainError,
    Forbidden,
    InvalidCredentials,
    InvalidParameter,
    NotFound,
    Unavailable,
)
from ..kernel.retry import Retry
from ..logins.devices import UNKNOWN_DEVICE
from ..logins.notices import password_changed, send_notice
from ..tenants.tenant import usable_tenant
from .management import CredentialService
from .passwords import PasswordCheck, check_importable_hash, check_password_policy

UNAVAILABLE_ITEM = "The service was briefly unavailable; retry this item."
NOT_ATTEMPTED_ITEM = "Not attempted: the call ran out of time; retry this item."

ITEM_RESERVE_SECONDS = 3.0
"""An item is begun only with this much of the call's time left: the slowest one (an imported
PBKDF2 hash at its cap, our new hash, a retried write) takes about a second at one vCPU, and the
answer must still leave before Lambda's and API Gateway's limits."""


@dataclass(frozen=True, slots=True)
class BulkPasswordService(CredentialService):
    """Change-Password's rules for many logins, with a credential service's store, hasher and clock."""

    def change_passwords(
        self,
        caller: Caller,
        items: list[AccountPasswordInfo],
        seconds_left: Callable[[], float] | None = None,
    ) -> ChangePasswordResultCollection:
        """One result per item, in order. ``Unavailable`` only when a dependency failure left every
        item unchanged (then nothing was written); otherwise each failed item says why. Items not
        begun before ``seconds_left`` falls under the reserve are answered as not attempted."""
        results: list[ChangePasswordResult] = []
        unavailable = False
        for item in items:
            if seconds_left is not None and seconds_left() < ITEM_RESERVE_SECONDS:
                results.append(
                    ChangePasswordResult(
                        account_id=item.account_id, succeeded=False, error_message=NOT_ATTEMPTED_ITEM
                    )
                )
                continue
            try:
                self.change_one(caller, item)
            except DomainError as error:
                results.append(
                    ChangePasswordResult(
                        account_id=item.account_id, succeeded=False, error_message=error.message
                    )
                )
            except Unavailable:
                unavailable = True
                results.append(
                    ChangePasswordResult(
                        account_id=item.account_id, succeeded=False, error_message=UNAVAILABLE_ITEM
                    )
                )
            else:
                results.append(ChangePasswordResult(account_id=item.account_id, succeeded=True))
        if unavailable and not any(r.succeeded for r in results):
            raise Unavailable("no item could be changed")
        return ChangePasswordResultCollection(total_count=len(results), items=results)

    def change_one(self, caller: Caller, item: AccountPasswordInfo) -> None:
        """Set one login's password (``newPassword``, checking ``oldPassword`` when given) or an
        imported hash (``externalPassword``); every session of the login ends."""
        info, unlock = item.password_info, bool(item.unlock_account)
        if info is None or (info.new_password is None) == (info.external_password is None):
            raise InvalidParameter(
                "Give passwordInfo.newPassword or passwordInfo.externalPassword.", field="passwordInfo"
            )
        if info.external_password is not None:
            if info.old_password is not None:
                raise InvalidParameter(
                    "oldPassword cannot be checked against an imported hash.", field="oldPassword"
                )
            check_importable_hash(info.external_password)
        # Unpadded: the equal-cost floor hides who has a login from shoppers, and this caller may
        # read every login's state anyway; padded, 100 old passwords would outlast the timeout.
        check = (
            PasswordCheck(self._hasher(), info.old_password, padded=False)
            if info.old_password is not None
            else None
        )
        new_hash: str | None = None
        retry = Retry()
        while True:
            with retry:
                context = self._store.load_login(caller.tenant_id, item.account_id)
                login, stored = context.login, context.account
                if stored is None or login is None:
                    raise NotFound(f"Account {item.account_id} has no login.", field="accountId")
                if item.user_id is not None and item.user_id != login.user_id:
                    raise NotFound(
                        f"Account {item.account_id} has no login with this userId.", field="userId"
                    )
                policy = usable_tenant(context.tenant, None).sign_in_policy
                retry.at_most(policy.login_write_rounds())  # as many rounds as racing sign-ins can force
                if info.new_password is not None:
                    check_password_policy(
                        info.new_password,
                        [i for i in (login.email, login.username) if i],
                        require_letter_and_digit=policy.require_letter_and_digit,
                        field="newPassword",
                    )
                now = self._clock()
                locked = login.is_locked_for(UNKNOWN_DEVICE, now)
                if locked and (check is not None or not unlock):
                    # As Change-Password: during a lock the old password is not looked at, so a lock is
                    # no oracle for it; an administrator unlocks by setting a password without one.
                    raise Forbidden(
                        "The login is locked; leave out oldPassword and set unlockAccount to unlock it "
                        "with this change."
                    )
                if check is not None and not check.matches(login):
                    self._store.replace_login(login, login.after_failure(UNKNOWN_DEVICE, now, policy))
                    raise InvalidCredentials("The old password is not valid.", field="oldPassword")
                external, password = info.external_password, info.new_password
                if external is not None:
                    after = login.with_imported_hash(external, now, unlock=unlock)
                elif password is not None:
                    new_hash = new_hash or self._hasher().hash(password)
                    after = login.with_password(new_hash, now, unlock=unlock)
                else:  # refused above; here for the type checker
                    raise InvalidParameter("newPassword is required.", field="newPassword")
                self._store.replace_login(login, after, account_in_step(stored, after, now))
                if external is None:  # an imported hash is a migration, not a change to tell of
                    send_notice(
                        self._outbox, password_changed(after, caller.site_id, "Change-Passwords", now)
                    )
                return
