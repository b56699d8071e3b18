"""``make run``'s mailer: the same emails as the deployed mailer sends, rendered from the same
templates when the local outbox takes an event, and kept as .eml files (and, with ``SMTP_URL``,
sent to that server too). The local mailbox page (tools/local_api/mailbox.py) shows them."""

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ..domain.kernel.outbox import OutboxEvent
from ..domain.tenants.tenant import Tenant
from .compose import Skip
from .mailer import Mailer
from .transports import EmlFolder, SmtpTransport, Transport


class _Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...


class LocalMail:
    def __init__(self, mailer: Mailer, log: _Log) -> None:
        self._mailer = mailer
        self._log = log

    def __call__(self, event: OutboxEvent) -> None:
        """The event's email, if it has one; a failure is logged (its type only) and the request
        goes on: the outbox's JSON line is written either way."""
        event_id = secrets.token_hex(16)
        try:
            sent = self._mailer.send(
                event.detail_type, event.detail, event_id=event_id, now=datetime.now(UTC)
            )
        except Skip:
            return
        except Exception as error:
            self._log.warning(
                f"{event.detail_type} not mailed locally",
                extra={"error": type(error).__name__, **event.log_fields},
            )
            return
        self._log.info(
            f"{event.detail_type} mailed to the local mailbox",
            extra={"eml": sent.message_id, **event.log_fields},
        )


def local_mail(
    folder: Path,
    tenants: Callable[[int], Tenant | None],
    default_sender: str | None,
    smtp_url: str | None,
    log: _Log,
) -> LocalMail:
    """Emails into ``folder`` (and to ``smtp_url``'s server when given)."""
    transports: list[Transport] = [EmlFolder(folder)]
    if smtp_url:
        transports.append(SmtpTransport(smtp_url))
    return LocalMail(Mailer(tenants, transports, default_sender or LOCAL_SENDER), log)


def mail_folder(outbox_file: str, local_mail_dir: str | None) -> Path:
    """Where ``make run`` keeps its .eml files: ``LOCAL_MAIL_DIR``, else ``mail/`` beside the outbox."""
    return Path(local_mail_dir) if local_mail_dir else Path(outbox_file).with_name("mail")


LOCAL_SENDER = "no-reply@customer-auth.localhost"
"""The From address of local emails when neither the tenant nor ``MAIL_SENDER`` names one."""
