"""Where a rendered email goes: Amazon SES (v2 ``SendEmail`` with the raw message and a
configuration set), any SMTP server (``SMTP_URL``), or a folder of .eml files (``make run``).
Each sends the same RFC 5322 bytes."""

import ipaddress
import os
import secrets
import smtplib
import ssl
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit

from .compose import Mail

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sesv2.type_defs import SendEmailRequestTypeDef


class Transport(Protocol):
    def send(self, mail: Mail) -> str:
        """Hand the email over; the id the transport knows it by."""


class SesTransport:
    def __init__(self, client: "SESV2Client", configuration_set: str | None) -> None:
        self._ses = client
        self._configuration_set = configuration_set

    def send(self, mail: Mail) -> str:
        """SES's message id. SES refusing it (an unverified sender, the sandbox, throttling)
        raises botocore's ``ClientError``: the event is retried, then dead-lettered."""
        request: SendEmailRequestTypeDef = {
            "FromEmailAddress": mail.sender,
            "Destination": {"ToAddresses": [mail.recipient]},
            "Content": {"Raw": {"Data": mail.as_bytes()}},
            "EmailTags": [{"Name": "event", "Value": mail.detail_type}],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        return self._ses.send_email(**request)["MessageId"]


class SmtpTransport:
    """``smtp://[user:password@]host[:port]`` (STARTTLS whenever the server offers it; port 25
    by default) or ``smtps://...`` (TLS from the start; port 465). Credentials are sent only over
    TLS, or to a server on this machine."""

    def __init__(self, url: str, timeout: float = 10) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL is smtp://[user:password@]host[:port] or smtps://...")
        self._tls = parts.scheme == "smtps"
        self._host = parts.hostname
        self._port = parts.port or (465 if self._tls else 25)
        self._user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password or "")
        self._timeout = timeout

    def __repr__(self) -> str:  # never the password
        return f"SmtpTransport({'smtps' if self._tls else 'smtp'}://{self._host}:{self._port})"

    def send(self, mail: Mail) -> str:
        context = ssl.create_default_context()
        server = (
            smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
            if self._tls
            else smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        )
        with server:
            server.ehlo()
            secure = self._tls
            if not secure and server.has_extn("starttls"):
                server.starttls(context=context)
                server.ehlo()
                secure = True
            if self._user is not None:
                if not (secure or _loopback(self._host)):
                    raise smtplib.SMTPException("the SMTP server offers no TLS: credentials not sent")
                server.login(self._user, self._password)
            server.sendmail(mail.sender_address, [mail.recipient], mail.as_bytes())
        return str(mail.message["Message-ID"])


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EmlFolder:
    """``make run``'s inbox: each email as ``<time>-<event>-<random>.eml``, readable by its owner
    only (the emails hold codes)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, mail: Mail) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{mail.detail_type}-{secrets.token_hex(3)}.eml"
        partial = self.folder / f".{name}.partial"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(mail.as_bytes())
        partial.rename(self.folder / name)  # whole or not at all, for whoever lists the folder
        return name
