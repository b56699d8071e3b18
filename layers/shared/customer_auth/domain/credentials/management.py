"""A login's credential and lock, managed by the storefront's app: change password, lock, state."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ...models.auth import CustomerPasswordInfo, LoginState
from ..accounts.records import LoginContext, StoredAccount, account_in_step
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import Forbidden, InvalidCredentials, InvalidParameter, NotFound
from ..kernel.identifiers import normalize_identifier
from ..kernel.outbox import EventOutbox
from ..kernel.retry import Retry
from ..logins.devices import UNKNOWN_DEVICE
from ..logins.login import Login
from ..logins.notices import password_changed, send_notice
from ..tenants.policies import SignInPolicy
from ..tenants.tenant import Tenant, usable_tenant
from .passwords import PasswordCheck, PasswordHasher, check_password_policy
from .ports import CredentialStore


@dataclass(frozen=True, slots=True)
class CredentialService:
    _store: CredentialStore
    _hasher: Callable[[], PasswordHasher]
    """Built on first use: locking and reading the login state never hash, so never load argon2."""
    _clock: Clock
    _outbox: Callable[[], EventOutbox] | None = None
    """Where ``PasswordChanged`` notices go (built on first use)."""

    def change_password(
        self, caller: Caller, account_id: int, info: CustomerPasswordInfo, *, unlock: bool
    ) -> None:
        """Replace the password after checking the old one; every session of the login ends."""
        if info.old_password is None:
            raise InvalidParameter("oldPassword is required.", field="oldPassword")
        if info.new_password is None:
            raise InvalidParameter("newPassword is required.", field="newPassword")
        if info.external_password is not None:
            raise InvalidParameter(
                "externalPassword cannot be set by Change-Password.", field="externalPassword"
            )
        check = PasswordCheck(self._hasher(), info.old_password)
        new_hash: str | None = None
        retry = Retry()
        while True:
            with retry:
                tenant, stored, login = self._fresh_read(caller, account_id, retry)
                check_password_policy(
                    info.new_password,
                    [i for i in (login.email, login.username) if i],
                    require_letter_and_digit=tenant.sign_in_policy.require_letter_and_digit,
                    field="newPassword",
                )
                now = self._clock()
                if login.is_locked_for(UNKNOWN_DEVICE, now):
                    # Lockout exists to stop password guessing, so during a lock the old password is
                    # not even checked: right and wrong get this same answer, unlockAccount or not. A
                    # lock ends with its cooldown or with Set-Login-Locked false.
                    raise Forbidden("The login is locked.")
                if not check.matches(login):
                    self._store.replace_login(
                        login, login.after_failure(UNKNOWN_DEVICE, now, tenant.sign_in_policy)
                    )
                    raise InvalidCredentials("The old password is not valid.", field="oldPassword")
                new_hash = new_hash or self._hasher().hash(info.new_password)
                after = login.with_password(new_hash, now, unlock=unlock)
                self._store.replace_login(login, after, account_in_step(stored, after, now))
                send_notice(self._outbox, password_changed(after, caller.site_id, "Change-Password", now))
                return

    def set_locked(self, caller: Caller, account_id: int, locked: bool) -> None:
        """Lock (revoking every session) or unlock the account's login."""
        self._change(caller, account_id, lambda login, now: login.locked(now, locked=locked), in_step=True)

    def set_password_change_required(self, caller: Caller, account_id: int, required: bool) -> None:
        """Require (or stop requiring) a password change before the login's next sign-in."""
        self._change(
            caller,
            account_id,
            lambda login, now: login.change_required(now, required=required),
            in_step=False,
        )

    def _change(
        self, caller: Caller, account_id: int, change: Callable[[Login, datetime], Login], *, in_step: bool
    ) -> None:
        """The login changed by ``change``; with ``in_step``, the account's flags follow it."""
        retry = Retry()
        while True:
            with retry:
                _, stored, login = self._fresh_read(caller, account_id, retry)
                now = self._clock()
                after = change(login, now)
                self._store.replace_login(
                    login, after, account_in_step(stored, after, now) if in_step else None
                )
                return

    def _fresh_read(
        self, caller: Caller, account_id: int, retry: Retry
    ) -> tuple[Tenant, StoredAccount, Login]:
        """The login read afresh for a round of a write; ``retry`` may lose as many rounds as
        racing failed sign-ins can force (``SignInPolicy.login_write_rounds``)."""
        found = _login_of(self._store.load_login(caller.tenant_id, account_id), account_id)
        retry.at_most(found[0].sign_in_policy.login_write_rounds())
        return found

    def login_state_by_name(self, caller: Caller, name: str, *, email: bool) -> LoginState:
        return login_state_by_name(self._store, caller, name, self._clock(), email=email)

    def login_state(self, caller: Caller, account_id: int) -> LoginState:
        tenant, _, login = _login_of(self._store.load_login(caller.tenant_id, account_id), account_id)
        return login_state(login, tenant.sign_in_policy, self._clock())


def login_state_by_name(
    store: CredentialStore, caller: Caller, name: str, now: datetime, *, email: bool
) -> LoginState:
    """The ``LoginState`` of the login whose username (``email=False``) or email is ``name``; 404
    when there is none."""
    identifier = normalize_identifier(name)
    account_id, tenant = store.identify(caller.tenant_id, identifier)
    if account_id is not None:
        login = store.load_login(caller.tenant_id, account_id, with_tenant=False).login
        own = (login.email if email else login.username) if login is not None else None
        if login is not None and own is not None and normalize_identifier(own) == identifier:
            return login_state(login, usable_tenant(tenant, None).sign_in_policy, now)
    field = "emailAddress" if email else "userName"
    raise NotFound(f"No login has this {field}.", field=field)


def login_state(login: Login, policy: SignInPolicy, now: datetime) -> LoginState:
    """Kibo's ``LoginState`` of a login at ``now``."""
    locked = login.is_locked(now)  # for a new device; a trusted one may have its own lock
    failures = login.failures_counted(now)
    return LoginState(
        is_password_change_required=login.password_change_required,
        is_locked=locked,
        failed_login_attempt_count=failures,
        remaining_login_attempts=0 if locked else max(0, policy.max_failed_attempts - failures),
        first_failed_login_attempt_on=login.first_failed_at if failures else None,
        last_locked_on=login.last_locked_at,
        last_login_on=login.last_login_at,
        last_password_change_on=login.password_changed_at,
        created_on=login.created_at,
        updated_on=login.updated_at,
        locked_trusted_device_count=login.locked_trusted_devices(now),
    )


def _login_of(context: LoginContext, account_id: int) -> tuple[Tenant, StoredAccount, Login]:
    if context.account is None:
        raise NotFound(f"Account {account_id} was not found.", field="accountId")
    if context.login is None:
        raise NotFound(f"Account {account_id} has no login.", field="accountId")
    return usable_tenant(context.tenant, None), context.account, context.login
