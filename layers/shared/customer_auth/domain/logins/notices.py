"""Security notices: events that tell a shopper something happened to their login (the password
changed, a sign-in from a new device, the account deleted), put on the outbox for the tenant's
mailer. Their details are documented in docs/mail.md; none carries a secret.

A notice is sent after the change it reports has been written, and on a best-effort basis: one
that cannot be put on the outbox is dropped (the outbox logs it), never undoing the change. The
email-changed notice is the exception, and lives with the update (``accounts.administration``): the old
address must hear of a change that stands, so an update whose notice cannot be put is undone.
"""

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime

from ..kernel.errors import Unavailable
from ..kernel.outbox import EventOutbox, OutboxEvent
from .devices import Device
from .login import Login

PASSWORD_CHANGED = "PasswordChanged"
NEW_DEVICE_SIGN_IN = "NewDeviceSignIn"
ACCOUNT_DELETED = "AccountDeleted"


def _about(login: Login, site_id: int | None, email: str | None = None) -> dict[str, object]:
    """The fields every notice has: whose login, and where its email goes."""
    return {
        "tenantId": login.tenant_id,
        "siteId": site_id,
        "accountId": login.account_id,
        "userId": login.user_id,
        "userName": login.username,
        "emailAddress": email or login.email,
    }


def password_changed(login: Login, site_id: int | None, via: str, now: datetime) -> OutboxEvent:
    """``via``: the operation that changed it (``Change-Password``, ``Update-Forgotten-Password``,
    ``Change-Passwords``)."""
    detail = {**_about(login, site_id), "via": via, "changedAt": now.isoformat()}
    return OutboxEvent(PASSWORD_CHANGED, detail, {"userId": login.user_id, "accountId": login.account_id})


def new_device_sign_in(
    login: Login, site_id: int | None, device: Device, region: str | None, now: datetime
) -> OutboxEvent | None:
    """A sign-in from a fingerprint or a region the login does not trust yet; None when it names
    neither, or the login knows both (the fingerprint itself never leaves the service)."""
    new_fingerprint = device.fingerprint_digest is not None and not login.knows_fingerprint(device)
    new_region = device.region is not None and not login.knows_region(device)
    if not (new_fingerprint or new_region):
        return None
    detail = {
        **_about(login, site_id),
        "region": (region or "").strip() or None,
        "newDevice": new_fingerprint,
        "newRegion": new_region,
        "signedInAt": now.isoformat(),
    }
    return OutboxEvent(NEW_DEVICE_SIGN_IN, detail, {"userId": login.user_id, "accountId": login.account_id})


def account_deleted(login: Login, site_id: int | None, email: str | None, now: datetime) -> OutboxEvent:
    detail = {**_about(login, site_id, email), "deletedAt": now.isoformat()}
    return OutboxEvent(ACCOUNT_DELETED, detail, {"userId": login.user_id, "accountId": login.account_id})


def send_notice(outbox: Callable[[], EventOutbox] | None, event: OutboxEvent | None) -> None:
    """Put ``event`` on the outbox if there is one; a notice that cannot be put is dropped."""
    if outbox is None or event is None:
        return
    with suppress(Unavailable):
        outbox().publish(event)
