"""What Reset-Password and passwordless sign-in share: a code mailed through the outbox.

A code is issued in place of the login's last one, then its event is published; an event that
cannot be sent undoes the code, so an unsent code neither counts against the limit nor voids the
last one. A request that sends nothing (no such login, over the limit, another request's code just
issued) publishes a decoy event instead, and where it wrote nothing it spends a refused write, so
that every answer makes the same calls.
"""

import enum
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from ..kernel.errors import ConcurrentUpdate, Unavailable
from ..kernel.outbox import EventOutbox, OutboxEvent
from ..logins.login import Login
from .delivery import CodeDelivery
from .ports import CodeStore
from .records import LoginWithCode, OneTimeCode


class CodeOutcome(enum.Enum):
    """What a code request did; for logs and metrics only, never for the answer."""

    SENT = "sent"
    LIMITED = "limited"
    UNMATCHED = "unmatched"


@dataclass(frozen=True, slots=True)
class CodeMail:
    store: CodeStore
    outbox: Callable[[], EventOutbox]
    """Built on first use."""
    sent: str
    """The event a sent code goes out as (``PasswordResetRequested``, ``OtpSignInRequested``)."""
    unmatched: str
    """The decoy event published when nothing is sent."""
    code_field: str
    """The name the code travels under in the event (``confirmationCode``, ``otpCode``)."""

    def refuse(self, tenant_id: int, site_id: int | None, identifier: str) -> None:
        """Nothing sent, at the cost of a code: a refused write and a decoy event."""
        self.store.spend_refused_write(tenant_id, identifier)
        self.outbox().publish(self._decoy(tenant_id, site_id))

    def send(
        self,
        tenant_id: int,
        site_id: int | None,
        found: LoginWithCode,
        login: Login,
        issued: OneTimeCode,
        code: str,
        now: datetime,
    ) -> bool:
        """Store ``issued`` in place of ``found.code`` and publish it; False (a decoy published
        instead) when another request issued a code just now, which puts this one over the limit."""
        before = found.code
        try:
            self.store.replace_code(before, issued)
        except ConcurrentUpdate:
            self.outbox().publish(self._decoy(tenant_id, site_id))
            return False
        email = login.email or (found.account.account.email_address if found.account else None)
        event = CodeDelivery(
            tenant_id=tenant_id,
            site_id=site_id,
            account_id=login.account_id,
            user_id=login.user_id,
            username=login.username,
            email_address=email,
            code=code,
            expires_at=issued.code_expires_at or now,
        ).event(self.sent, self.code_field)
        try:
            self.outbox().publish(event)
        except Unavailable:
            with suppress(ConcurrentUpdate, Unavailable):
                self.store.replace_code(issued, before if before.version else None)
            raise
        return True

    def _decoy(self, tenant_id: int, site_id: int | None) -> OutboxEvent:
        return OutboxEvent(self.unmatched, {"tenantId": tenant_id, "siteId": site_id})
