"""Where codes and security notices go to be mailed: the stack's mailer (or the tenant's own)
listens on an EventBridge bus in AWS; under ``make run`` local files stand in for it, and the same
emails are rendered into the local mailbox."""

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .domain.codes.delivery import CodeDelivery
from .domain.kernel.errors import Unavailable
from .domain.kernel.outbox import OutboxEvent

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient

EVENT_SOURCE = "customer-auth"
EVENT_DETAIL_TYPE = "TwoFactorCodeRequested"

LOCAL_FILES = {
    "PasswordResetRequested": "password-resets.jsonl",
    "AccountEmailChanged": "email-changes.jsonl",
    "OtpSignInRequested": "otp-sign-in-codes.jsonl",
    "PasswordChanged": "password-changes.jsonl",
    "NewDeviceSignIn": "new-device-sign-ins.jsonl",
    "AccountDeleted": "account-deletions.jsonl",
}
"""Under ``make run``, the file (beside the 2FA codes file) each other event type is written to;
types not named here (decoys that keep timing equal) are not written anywhere locally."""


class _Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...


class EventBridgeOutbox:
    """Puts one ``TwoFactorCodeRequested`` event on the bus; the tenant's rule routes it to its
    mailer. The event carries the code, so only the mailer's rule should match it."""

    def __init__(self, client: "EventBridgeClient", bus_name: str, log: _Log | None = None) -> None:
        self._events = client
        self._bus = bus_name
        self._log = log

    def deliver(self, delivery: CodeDelivery) -> None:
        self.publish(delivery.event(EVENT_DETAIL_TYPE))

    def publish(self, event: OutboxEvent) -> None:
        """One event on the bus, or ``Unavailable``."""
        try:
            response = self._events.put_events(
                Entries=[
                    {
                        "EventBusName": self._bus,
                        "Source": EVENT_SOURCE,
                        "DetailType": event.detail_type,
                        "Detail": json.dumps(dict(event.detail)),
                    }
                ]
            )
        except (ClientError, BotoCoreError) as error:
            self._refused(event, type(error).__name__)
            raise Unavailable(f"EventBridge: {type(error).__name__}") from error
        if response.get("FailedEntryCount", 0):
            code = response["Entries"][0].get("ErrorCode", "unknown")
            self._refused(event, code)
            raise Unavailable(f"EventBridge refused the event: {code}")

    def _refused(self, event: OutboxEvent, reason: str) -> None:
        """Said in the log: a security notice that cannot be put is dropped, not retried."""
        if self._log is not None:
            self._log.warning(
                f"{event.detail_type} not put on the bus", extra={"error": reason, **event.log_fields}
            )


class FileOutbox:
    """``make run``'s mailer: one JSON line per event (its detail) in a local file, and a log line
    (without the code) saying where it went. 2FA codes go to ``path``; other events to their
    ``LOCAL_FILES`` name in the same folder. ``mail`` renders each event's email (the local
    mailbox)."""

    _lock = threading.Lock()

    def __init__(self, path: Path, log: _Log, mail: Callable[[OutboxEvent], None] | None = None) -> None:
        self._path = path
        self._log = log
        self._mail = mail

    def path_of(self, detail_type: str) -> Path | None:
        if detail_type == EVENT_DETAIL_TYPE:
            return self._path
        name = LOCAL_FILES.get(detail_type)
        return self._path.with_name(name) if name else None

    def deliver(self, delivery: CodeDelivery) -> None:
        self.publish(delivery.event(EVENT_DETAIL_TYPE))

    def publish(self, event: OutboxEvent) -> None:
        path = self.path_of(event.detail_type)
        if path is not None:
            self._write(path, event)
        if self._mail is not None:
            self._mail(event)

    def _write(self, path: Path, event: OutboxEvent) -> None:
        line = json.dumps(dict(event.detail)) + "\n"
        try:
            with self._lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as outbox:
                    outbox.write(line)
        except OSError as error:
            raise Unavailable(f"local outbox: {type(error).__name__}") from error
        self._log.info(
            f"{event.detail_type} written to the local outbox",
            extra={"outbox": str(path), **event.log_fields},
        )
