"""Password recovery (docs/contract.md §9): Reset-Password sends a confirmation code through the
outbox; Update-Forgotten-Password sets a new password with it.

Nothing a caller sees tells whether a login matched: Reset-Password answers the same, makes the
same calls (two batched reads, one conditional write, one event) and spends about the same time
for a known login, an unknown one and one that asked too often.
"""

from collections.abc import Callable
from datetime import datetime, timedelta

from ...models.auth import ConfirmationInfo, CustomerResetPasswordInfo
from ..accounts.records import NO_ACCOUNT, StoredAccount, account_in_step
from ..codes.mail import CodeMail, CodeOutcome
from ..codes.records import CodeRules, OneTimeCode, long_code_digest, new_long_code
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import InvalidCredentials, InvalidParameter
from ..kernel.identifiers import normalize_identifier
from ..kernel.outbox import EventOutbox
from ..kernel.retry import Retry
from ..logins.login import Login
from ..logins.notices import password_changed, send_notice
from ..tenants.tenant import Tenant, usable_tenant
from .passwords import PasswordHasher, check_password_policy
from .ports import CodeRedeemingStore
from .records import CodeRedeemed

PURPOSE = "RESET"
RESET_EVENT = "PasswordResetRequested"
UNMATCHED_EVENT = "PasswordResetUnmatched"
"""The decoy put on the bus when no code is sent, so the call (and its time) happens either way.
It carries only the tenant and site; mailers' rules match ``PasswordResetRequested`` only."""
WRONG_TRIES = 5
RESET_GAP = timedelta(minutes=1)
RESETS_PER_HOUR = 5


def reset_rules(tenant: Tenant) -> CodeRules:
    return CodeRules(
        life=timedelta(minutes=tenant.sign_in_policy.password_reset_minutes),
        tries=WRONG_TRIES,
        gap=RESET_GAP,
        per_hour=RESETS_PER_HOUR,
    )


def refused() -> InvalidCredentials:
    """The one answer for a wrong, expired, used or foreign code and an unknown user."""
    return InvalidCredentials("The user name or confirmation code is not valid.")


class RecoveryService:
    def __init__(
        self,
        store: CodeRedeemingStore,
        outbox: Callable[[], EventOutbox],
        hasher: Callable[[], PasswordHasher],
        clock: Clock,
    ) -> None:
        self._store = store
        self._mail = CodeMail(store, outbox, RESET_EVENT, UNMATCHED_EVENT, "confirmationCode")
        self._outbox = outbox
        self._hasher = hasher
        """Built on first use: Reset-Password never hashes, so never loads argon2."""
        self._clock = clock

    def request_reset(
        self, caller: Caller, site_id: int | None, info: CustomerResetPasswordInfo
    ) -> CodeOutcome:
        """A confirmation code for the login named by email or user name, sent through the outbox;
        nothing sent for an unknown login or one that asked too often, at the same cost."""
        given, by_email = (info.email_address, True) if info.email_address else (info.user_name, False)
        if not given:
            raise InvalidParameter("emailAddress or userName is required.", field="emailAddress")
        identifier = normalize_identifier(given)
        account_id, tenant = self._store.identify(caller.tenant_id, identifier)
        tenant = usable_tenant(tenant, site_id)
        found = self._store.load_login_with_code(caller.tenant_id, account_id or NO_ACCOUNT, PURPOSE)
        login = found.login
        if (
            login is None
            or found.account is None
            or login.deleted_at is not None  # being deleted: no code for it, ever
            or not _named(login, identifier, by_email=by_email)
        ):
            self._mail.refuse(caller.tenant_id, site_id, identifier)
            return CodeOutcome.UNMATCHED
        now = self._clock()
        rules = reset_rules(tenant)
        before = found.code
        if before.seconds_to_wait(now, rules):
            self._mail.refuse(caller.tenant_id, site_id, identifier)
            return CodeOutcome.LIMITED
        code = new_long_code()
        issued = before.issued(long_code_digest(code), now, rules)
        if not self._mail.send(caller.tenant_id, site_id, found, login, issued, code, now):
            return CodeOutcome.LIMITED
        return CodeOutcome.SENT

    def update_forgotten_password(self, caller: Caller, site_id: int | None, info: ConfirmationInfo) -> None:
        """The new password for the login whose live code this is; every session ends."""
        if not info.user_name:
            raise InvalidParameter("userName is required.", field="userName")
        if not info.confirmation_code:
            raise InvalidParameter("confirmationCode is required.", field="confirmationCode")
        if info.new_password is None:
            raise InvalidParameter("newPassword is required.", field="newPassword")
        identifier = normalize_identifier(info.user_name)
        account_id, tenant = self._store.identify(caller.tenant_id, identifier)
        tenant = usable_tenant(tenant, site_id)
        letter_and_digit = tenant.sign_in_policy.require_letter_and_digit
        # The rules that need no login first, so a weak password is refused the same way for
        # anyone; the login's own identifiers only once its code proved the caller.
        check_password_policy(
            info.new_password,
            [info.user_name],
            require_letter_and_digit=letter_and_digit,
            field="newPassword",
        )
        new_hash: str | None = None
        # A lost race (the code used or tried, or the login changed) reads and judges again.
        retry = Retry(tenant.sign_in_policy.login_write_rounds() + WRONG_TRIES)
        while True:
            with retry:
                found = self._store.load_login_with_code(caller.tenant_id, account_id or NO_ACCOUNT, PURPOSE)
                login, code, now = found.login, found.code, self._clock()
                stored = found.account
                if login is None or stored is None or not _named(login, identifier, by_email=False):
                    self._store.spend_refused_write(caller.tenant_id, identifier)
                    raise refused()
                if not code.is_open(now):
                    self._store.spend_refused_write(caller.tenant_id, identifier)
                    raise refused()
                if not code.matches(info.confirmation_code):
                    self._store.replace_code(code, code.after_wrong_try())
                    raise refused()
                check_password_policy(
                    info.new_password,
                    [i for i in (login.email, login.username) if i],
                    require_letter_and_digit=letter_and_digit,
                    field="newPassword",
                )
                new_hash = new_hash or self._hasher().hash(info.new_password)
                redeemed = _redeemed(stored, found.code, login, new_hash, now)
                self._store.redeem_code(redeemed)
                changed = password_changed(redeemed.login_after, site_id, "Update-Forgotten-Password", now)
                send_notice(self._outbox, changed)
                return


def _redeemed(
    stored: StoredAccount, code: OneTimeCode, login: Login, new_hash: str, now: datetime
) -> CodeRedeemed:
    after = login.recovered(new_hash, now)
    return CodeRedeemed(
        code_before=code,
        code_after=code.used(),
        login_before=login,
        login_after=after,
        account=account_in_step(stored, after, now),
    )


def _named(login: Login, identifier: str, *, by_email: bool) -> bool:
    """Whether the login is the one the caller named: by its email, or by its username or email."""
    email = normalize_identifier(login.email) if login.email else None
    return identifier == email or (not by_email and identifier == normalize_identifier(login.username))
