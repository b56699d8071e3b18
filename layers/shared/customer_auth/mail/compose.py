"""One email per outbox event: who gets it, which template, and the message itself.

| event                    | to                 | template           | code field         |
|--------------------------|--------------------|--------------------|--------------------|
| TwoFactorCodeRequested   | emailAddress       | two_factor_code    | otpCode            |
| PasswordResetRequested   | emailAddress       | password_reset     | confirmationCode   |
| OtpSignInRequested       | emailAddress       | sign_in_code       | otpCode            |
| AccountEmailChanged      | oldEmailAddress    | email_changed      |                    |
| PasswordChanged          | emailAddress       | password_changed   |                    |
| NewDeviceSignIn          | emailAddress       | new_device_sign_in |                    |
| AccountDeleted           | emailAddress       | account_deleted    |                    |
"""

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Any

from ..domain.tenants.mail import MailSettings
from ..domain.tenants.tenant import Tenant
from .render import render


@dataclass(frozen=True, slots=True)
class Kind:
    template: str
    recipient: str = "emailAddress"
    code: str | None = None
    """The detail field holding the code; its ``expiresAt`` says until when it is worth sending."""


KINDS: dict[str, Kind] = {
    "TwoFactorCodeRequested": Kind("two_factor_code", code="otpCode"),
    "PasswordResetRequested": Kind("password_reset", code="confirmationCode"),
    "OtpSignInRequested": Kind("sign_in_code", code="otpCode"),
    "AccountEmailChanged": Kind("email_changed", recipient="oldEmailAddress"),
    "PasswordChanged": Kind("password_changed"),
    "NewDeviceSignIn": Kind("new_device_sign_in"),
    "AccountDeleted": Kind("account_deleted"),
}
"""Every event type the service publishes for a shopper to hear of (the mailer's rule matches these)."""


class Skip(Exception):
    """Nothing to send, and nothing to retry: the event names no address, its code has expired, or
    it is of a type no template is for. ``str(skip)`` says which (never a value from the event)."""


class NoSender(Exception):
    """Neither the tenant nor the deployment names a From address: a configuration to fix, after
    which the dead-letter queue's events can be sent again."""


@dataclass(frozen=True, slots=True)
class Mail:
    """A rendered email. The message may hold a code: it is never logged."""

    detail_type: str
    locale: str
    message: EmailMessage = field(repr=False)

    @property
    def sender(self) -> str:
        return str(self.message["From"])

    @property
    def sender_address(self) -> str:
        return parseaddr(self.sender)[1]

    @property
    def recipient(self) -> str:
        return str(self.message["To"])

    def as_bytes(self) -> bytes:
        """RFC 5322 bytes, CRLF line ends: what SES, an SMTP server and an .eml file get."""
        return self.message.as_bytes(policy=SMTP)


def masked(address: str | None) -> str:
    """``jane@example.com`` as ``j***@example.com``: enough to recognise, not to reuse."""
    local, at, domain = (address or "").rpartition("@")
    return f"{local[:1]}***@{domain}" if at and local else "***"


def compose(
    detail_type: str,
    detail: Mapping[str, Any],
    tenant: Tenant | None,
    *,
    default_sender: str | None,
    event_id: str,
    now: datetime,
) -> Mail:
    """The email for one event, or ``Skip``; ``NoSender`` when no From address is configured."""
    kind = KINDS.get(detail_type)
    if kind is None:
        raise Skip(f"no template for {detail_type}")
    recipient = detail.get(kind.recipient)
    if not isinstance(recipient, str) or "@" not in recipient:
        raise Skip(f"{detail_type} names no email address")
    settings = (tenant.mail if tenant else None) or MailSettings()
    sender = settings.sender or default_sender
    if not sender:
        raise NoSender("no From address: set the tenant's mail sender or the deployment's MailSender")
    context: dict[str, Any] = {
        "shop": settings.shop_name or (tenant.name if tenant else "") or "your shop",
        "link": settings.link_base,
        "user_name": detail.get("userName") or recipient,
        "recipient": recipient,
        "when": _when(_moment(detail, now)),
        "via": detail.get("via"),
        "region": detail.get("region"),
        "new_device": bool(detail.get("newDevice")),
        "new_region": bool(detail.get("newRegion")),
        "new_address": masked(detail.get("newEmailAddress")),
    }
    if kind.code is not None:
        expires_at = datetime.fromisoformat(str(detail["expiresAt"]))
        if expires_at <= now:
            raise Skip(f"{detail_type}: the code expired before it could be sent")
        context["code"] = str(detail[kind.code])
        context["minutes"] = max(1, math.ceil((expires_at - now).total_seconds() / 60))
    rendered = render(kind.template, settings.locale, context)
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    # One id per event: a mail client that sees a retry's copy can tell it is the same message.
    digest = hashlib.sha256(f"{detail_type}:{event_id}".encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{digest}@{parseaddr(sender)[1].rpartition('@')[2] or 'localhost'}>"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = rendered.locale  # after the content, which drops Content-* headers
    return Mail(detail_type, rendered.locale, message)


def _moment(detail: Mapping[str, Any], now: datetime) -> datetime:
    """When what the event reports happened (its own time stamp), else now."""
    for name in ("changedAt", "signedInAt", "deletedAt"):
        if isinstance(value := detail.get(name), str):
            return datetime.fromisoformat(value)
    return now


def _when(moment: datetime) -> str:
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
