"""Two-factor sign-in (docs/contract.md §7): a one-time code for a session that waits for it.

A sign-in the tenant's policy asks a second factor of starts a *waiting* session: one access
token, good only here. The shopper asks for a code (sent through the outbox to the tenant's
mailer), then gives it back; the right code replaces the waiting session by a full one and
trusts the device it came from.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from ...models.auth import CustomerAuthTicket
from ..accounts.records import AccountChange, StoredAccount
from ..codes.challenge import CODE_REQUEST_GAP, CODE_TRIES, CodeChallenge
from ..codes.delivery import CodeDelivery
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import (
    ConcurrentUpdate,
    InvalidCode,
    InvalidParameter,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
)
from ..kernel.retry import Retry
from ..logins.login import Login
from ..sessions.records import AwaitedSecondFactor, Session
from ..sessions.shopper import live_session
from ..sessions.starter import SessionGrant, SessionStarter, StartedSession
from .ports import CodeOutbox, TwoFactorStore
from .records import SecondFactorPassed

CODE_DIGITS = 6
_CODE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")
_WRITE_ROUNDS = CODE_TRIES + 3
"""Concurrent wrong codes each win a round until the code's tries are spent; three more rounds
cover everyone else."""


def new_code() -> str:
    """Six digits from the operating system's CSPRNG."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(sid: str, code: str) -> str:
    """What is stored of a code: keyed by the session it was issued to, which alone may use it."""
    return hmac.new(sid.encode("utf-8"), code.encode("utf-8"), hashlib.sha256).hexdigest()


def not_waiting() -> Unauthenticated:
    return Unauthenticated("The shopper's session is not waiting for a second factor.")


def wrong_code() -> InvalidCode:
    """The one answer for a wrong, expired, used or exhausted code."""
    return InvalidCode("The code is not valid.")


@dataclass(frozen=True, slots=True)
class _Waiting:
    session: Session
    awaited: AwaitedSecondFactor
    login: Login
    account: StoredAccount
    challenge: CodeChallenge


class TwoFactorService:
    def __init__(
        self, store: TwoFactorStore, outbox: Callable[[], CodeOutbox], sessions: SessionStarter, clock: Clock
    ) -> None:
        self._store = store
        self._outbox = outbox
        """Built on first use: verifying a code never needs the outbox (nor its configuration)."""
        self._sessions = sessions
        self._clock = clock

    def request_code(self, caller: Caller, access_token: str | None) -> None:
        """A new code for the waiting session, handed to the outbox; at most one every 30 s and
        five an hour per login (429 with the seconds to wait)."""
        now = self._clock()
        waiting = self._waiting(caller, access_token, now)
        session, challenge = waiting.session, waiting.challenge
        wait = challenge.seconds_to_wait(now)
        if wait:
            raise TooManyRequests(
                f"A code was requested recently; ask again in {wait} seconds.", retry_after=wait
            )
        code = new_code()
        issued = challenge.issued(session.sid, code_digest(session.sid, code), now)
        try:
            self._store.replace_challenge(challenge, issued)
        except ConcurrentUpdate:
            gap = int(CODE_REQUEST_GAP.total_seconds())
            raise TooManyRequests(
                f"A code was requested just now; ask again in {gap} seconds.", retry_after=gap
            ) from None
        try:
            self._outbox().deliver(
                CodeDelivery(
                    tenant_id=session.tenant_id,
                    site_id=session.site_id,
                    account_id=session.account_id,
                    user_id=session.user_id,
                    username=waiting.login.username,
                    email_address=waiting.login.email or waiting.account.account.email_address,
                    code=code,
                    expires_at=issued.code_expires_at or now,
                )
            )
        except Unavailable:
            # Undone, so an undelivered code neither counts against the limit nor voids the last one.
            with suppress(ConcurrentUpdate, Unavailable):
                self._store.replace_challenge(issued, challenge if challenge.version else None)
            raise

    def verify(
        self, caller: Caller, access_token: str | None, user_id: str | None, otp_code: str | None
    ) -> CustomerAuthTicket:
        """The full ticket for the right code; one 401 for a wrong, expired, used or spent one."""
        if not user_id:
            raise InvalidParameter("userId is required.", field="userId")
        if otp_code is None:
            raise InvalidParameter("otpCode is required.", field="otpCode")
        if not _CODE.fullmatch(otp_code):
            raise InvalidParameter(f"otpCode must be {CODE_DIGITS} digits.", field="otpCode")
        retry = Retry(_WRITE_ROUNDS)  # a lost race (the code used or tried meanwhile) judges again
        while True:
            with retry:
                now = self._clock()
                waiting = self._waiting(caller, access_token, now)
                session, challenge = waiting.session, waiting.challenge
                if session.user_id != user_id or not challenge.is_open_to(session.sid, now):
                    raise wrong_code()
                if not hmac.compare_digest(challenge.code_digest or "", code_digest(session.sid, otp_code)):
                    self._store.replace_challenge(challenge, challenge.after_wrong_try())
                    raise wrong_code()
                passed, started = self._passed(waiting, now)
                self._store.complete_second_factor(passed)
                return started.ticket(passed.account.after)

    def _passed(self, waiting: _Waiting, now: datetime) -> tuple[SecondFactorPassed, StartedSession]:
        session, login, stored, awaited = waiting.session, waiting.login, waiting.account, waiting.awaited
        grant = SessionGrant.continuing(
            session, username=login.username, refresh_minutes=awaited.refresh_minutes
        )
        started = self._sessions.start(grant, now)
        account = stored.account
        audit = account.audit_info.model_copy(update={"update_date": now})
        stamped = account.model_copy(update={"last_2fa_date": now, "audit_info": audit})
        passed = SecondFactorPassed(
            waiting=session,
            challenge_before=waiting.challenge,
            challenge_after=waiting.challenge.used(),
            login_before=login,
            login_after=login.after_second_factor(awaited.device, now),
            account=AccountChange(stored, stamped),
            session=started.session,
            refresh_token=started.refresh_record,
        )
        return passed, started

    def _waiting(self, caller: Caller, access_token: str | None, now: datetime) -> _Waiting:
        """The live session waiting for its second factor that ``access_token`` names; 401 else."""
        if not access_token:
            raise Unauthenticated("The accessToken of the sign-in is required in x-vol-user-claims.")
        live = live_session(self._store, caller, access_token, now, with_challenge=True)
        awaited = live.session.awaiting if live is not None else None
        if live is None or awaited is None:
            raise not_waiting()
        session = live.session
        challenge = live.challenge or CodeChallenge(session.tenant_id, session.account_id)
        return _Waiting(session, awaited, live.login, live.account, challenge)
