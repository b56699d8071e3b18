"""Passwordless sign-in (Kibo's ``generateAndSendOtp`` and ``validateOtpAndCreateAuthTicket``): a
six-digit code sent to the login's email, traded once for a full ticket.

Built on password recovery's one-time codes (one live code per login, a TTL, a rate limit) and held
to the same rule of no enumeration: a known email, an unknown one and one over the limit make the
same calls and get the same answer. A six-digit code is searchable, so unlike recovery's long codes
it is stored as an HMAC under a server-side key (``CodeKeys``), bound to the login it was sent to.
Validation follows sign-in's lock rules for the device; the code proves the mailbox, so no second
factor is asked on top, and the device becomes trusted as after one.
"""

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from ...models.auth import AuthTicketOtpInfo, CustomerAuthTicket, OtpRequest
from ..accounts.records import NO_ACCOUNT, account_in_step
from ..codes.mail import CodeMail, CodeOutcome
from ..codes.records import CodeRules, LoginWithCode, OneTimeCode
from ..credentials.ports import CodeRedeemingStore
from ..credentials.records import CodeRedeemed
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import InvalidCredentials, InvalidParameter, NotFound
from ..kernel.identifiers import normalize_identifier
from ..kernel.outbox import EventOutbox
from ..kernel.retry import Retry
from ..logins.devices import Device
from ..logins.login import Login
from ..sessions.starter import SessionGrant, SessionStarter, StartedSession
from ..tenants.tenant import Tenant, usable_tenant

PURPOSE = "OTP"
OTP_EVENT = "OtpSignInRequested"
UNMATCHED_EVENT = "OtpSignInUnmatched"
"""The decoy put on the bus when no code is sent; it carries only the tenant and site."""
CODE_DIGITS = 6
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")
RULES = CodeRules(life=timedelta(minutes=5), tries=3, gap=timedelta(minutes=1), per_hour=5)


class CodeDigests(Protocol):
    """Keyed digests of codes under a server-side secret (``tokens.code_keys.CodeKeys``)."""

    def digest(self, message: str) -> str: ...

    def matches(self, stored: str | None, message: str) -> bool: ...


def new_code() -> str:
    """Six digits from the operating system's CSPRNG."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def refused() -> InvalidCredentials:
    """The one answer for a wrong, expired, used or spent code, an unknown email and a lock."""
    return InvalidCredentials("The email or code is not valid.")


def switched_off() -> NotFound:
    """What both routes answer while the tenant has not turned passwordless sign-in on."""
    return NotFound("Passwordless sign-in is not enabled for this tenant.")


class PasswordlessService:
    def __init__(
        self,
        store: CodeRedeemingStore,
        outbox: Callable[[], EventOutbox],
        digests: Callable[[], CodeDigests],
        sessions: Callable[[], SessionStarter],
        clock: Clock,
    ) -> None:
        self._store = store
        self._mail = CodeMail(store, outbox, OTP_EVENT, UNMATCHED_EVENT, "otpCode")
        self._digests = digests
        self._sessions = sessions
        """Built on first use: the request route never mints tokens."""
        self._clock = clock

    # -- generateAndSendOtp ---------------------------------------------------------------------
    def request_code(self, caller: Caller, site_id: int | None, info: OtpRequest) -> CodeOutcome:
        """A code for the login with this email, sent through the outbox; nothing sent for an
        unknown email or a login that asked too often, at the same cost."""
        if not info.email:
            raise InvalidParameter("email is required.", field="email")
        identifier = normalize_identifier(info.email)
        account_id, tenant = self._store.identify(caller.tenant_id, identifier)
        tenant = _switched_on(usable_tenant(tenant, site_id))
        found = self._store.load_login_with_code(caller.tenant_id, account_id or NO_ACCOUNT, PURPOSE)
        login, now, code = found.login, self._clock(), new_code()
        digests = self._digests()
        if login is None or found.account is None or not _usable(login, identifier):
            digests.digest(_message(found.code, "", code))  # the work of a code, for the time
            self._mail.refuse(caller.tenant_id, site_id, identifier)
            return CodeOutcome.UNMATCHED
        before = found.code
        issued = before.issued(digests.digest(_message(before, login.user_id, code)), now, RULES)
        if before.seconds_to_wait(now, RULES):
            self._mail.refuse(caller.tenant_id, site_id, identifier)
            return CodeOutcome.LIMITED
        if not self._mail.send(caller.tenant_id, site_id, found, login, issued, code, now):
            return CodeOutcome.LIMITED
        return CodeOutcome.SENT

    # -- validateOtpAndCreateAuthTicket ---------------------------------------------------------
    def sign_in(self, caller: Caller, site_id: int | None, info: AuthTicketOtpInfo) -> CustomerAuthTicket:
        """The full ticket for the login's live code; one 401 for everything else."""
        if not info.email:
            raise InvalidParameter("email is required.", field="email")
        if info.otp_code is None:
            raise InvalidParameter("otpCode is required.", field="otpCode")
        if not _CODE.fullmatch(info.otp_code):
            raise InvalidParameter(f"otpCode must be {CODE_DIGITS} digits.", field="otpCode")
        identifier = normalize_identifier(info.email)
        account_id, tenant = self._store.identify(caller.tenant_id, identifier)
        tenant = _switched_on(usable_tenant(tenant, site_id))
        digests = self._digests()
        retry = Retry(tenant.sign_in_policy.login_write_rounds() + RULES.tries)
        while True:
            with retry:
                found = self._store.load_login_with_code(caller.tenant_id, account_id or NO_ACCOUNT, PURPOSE)
                login, code, now = found.login, found.code, self._clock()
                if login is None or found.account is None or not _usable(login, identifier):
                    digests.matches(code.digest, _message(code, "", info.otp_code))
                    raise self._refused_at_the_cost_of_a_write(caller.tenant_id, identifier)
                device = Device.of(login.user_id, info.fingerprint, info.region)
                right = digests.matches(code.digest, _message(code, login.user_id, info.otp_code))
                if login.is_locked_for(device, now) or not code.is_open(now):
                    # During a lock nothing is counted, as for a password; without a live code there is
                    # nothing to guess.
                    raise self._refused_at_the_cost_of_a_write(caller.tenant_id, identifier)
                if not right:
                    # A wrong code is a failed sign-in for the device and spends one of the code's tries.
                    failed = CodeRedeemed(
                        code_before=code,
                        code_after=code.after_wrong_try(),
                        login_before=login,
                        login_after=login.after_failure(device, now, tenant.sign_in_policy),
                        account=None,
                    )
                    self._store.redeem_code(failed)
                    raise refused()
                redeemed, started = self._signed_in(found, login, device, tenant, caller, site_id, now)
                # A lost race (the code used or tried, the login changed) re-reads and judges again.
                self._store.redeem_code(redeemed)
                account = redeemed.account.after if redeemed.account else found.account.account
                return started.ticket(account)

    def _signed_in(
        self,
        found: LoginWithCode,
        login: Login,
        device: Device,
        tenant: Tenant,
        caller: Caller,
        site_id: int | None,
        now: datetime,
    ) -> tuple[CodeRedeemed, StartedSession]:
        stored = found.account
        if stored is None:  # checked by the caller; here for the type checker
            raise refused()
        # As a password sign-in: the device's count cleared, then the device trusted as a second
        # factor would (the code proved the mailbox).
        after = login.after_sign_in(device, now, None).trusting(device)
        policy = tenant.token_policy
        grant = SessionGrant.signing_in(
            caller,
            site_id,
            after,
            access_minutes=policy.access_minutes(None),
            refresh_minutes=policy.refresh_minutes(None),
        )
        started = self._sessions().start(grant, now)
        redeemed = CodeRedeemed(
            code_before=found.code,
            code_after=found.code.used(),
            login_before=login,
            login_after=after,
            account=account_in_step(stored, after, now),
            session=started.session,
            refresh_token=started.refresh_record,
        )
        return redeemed, started

    def _refused_at_the_cost_of_a_write(self, tenant_id: int, identifier: str) -> InvalidCredentials:
        self._store.spend_refused_write(tenant_id, identifier)
        return refused()


def _switched_on(tenant: Tenant) -> Tenant:
    if not tenant.sign_in_policy.passwordless_sign_in:
        raise switched_off()
    return tenant


def _usable(login: Login, identifier: str) -> bool:
    """Whether the login is the one the email names and may still sign in at all."""
    email = normalize_identifier(login.email) if login.email else None
    return login.deleted_at is None and identifier == email


def _message(code: OneTimeCode, user_id: str, otp_code: str) -> str:
    """What the digest covers: the code and the login it was sent to, so one login's code (or its
    stored digest copied to another login's item) never opens another."""
    return f"{code.tenant_id}:{code.account_id}:{user_id}:{otp_code}"
