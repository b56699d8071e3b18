"""``SMTP_URL``: the mailer sends the same messages to any SMTP server instead of SES, for teams on
another provider. Tested against an aiosmtpd server the test starts on the loopback, which asks
for a login (plain text allowed there: the transport sends credentials only over TLS, or to a
server on this machine)."""

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from customer_auth.api.settings import settings
from customer_auth.mail.transports import SmtpTransport
from tests.e2e.conftest import free_port
from tests.support.fixtures import World
from tests.support.mail import SENDER, Logs, MailPipeline, forget_mailer_clients, logs_at_debug

# The test's server asks for a login over plain text, as only a loopback test server should.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

EMAIL = "ada@example.com"
PASSWORD = "correct horse battery staple"
SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-s3cret-Pw"


@dataclass
class Inbox:
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(
            (str(envelope.mail_from), list(envelope.rcpt_tos), envelope.original_content or b"")
        )
        return "250 Message accepted"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        ):
            self.logins.append(SMTP_USER)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        loop=asyncio.new_event_loop(),
        authenticator=inbox.authenticate,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def logs(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Iterator[Logs]:
    """Everything the service logs at DEBUG; the test's SMTP server (the recipient's side, which
    sees the message anyway) logs what it receives at DEBUG, so it is kept at INFO."""
    with logs_at_debug(capfd, caplog) as captured:
        caplog.set_level(logging.INFO, logger="mail.log")
        yield captured


def test_with_smtp_url_the_mailer_sends_through_that_server_instead_of_ses(
    world: World, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch, logs: Logs
) -> None:
    inbox, port = smtp
    monkeypatch.setenv("MAIL_SENDER", SENDER)
    monkeypatch.setenv("SMTP_URL", f"smtp://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{port}")
    settings.cache_clear()
    forget_mailer_clients()
    mail = MailPipeline()
    try:
        app = world.app_token()
        account_id = world.add_account(app, emailAddress=EMAIL)["id"]
        assert (
            world.create_login(account_id, {"emailAddress": EMAIL, "password": PASSWORD}, token=app).status
            == 200
        )
        reset = world.api.call(
            "POST", "/api/commerce/customer/accounts/Reset-Password", {"emailAddress": EMAIL}, token=app
        )
        assert reset.status == 200

        mail.drain()
    finally:
        mail.close()
        forget_mailer_clients()
        monkeypatch.undo()
        settings.cache_clear()

    assert mail.sent() == []  # not SES
    assert inbox.logins == [SMTP_USER]
    ((envelope_from, recipients, raw),) = inbox.received
    assert (envelope_from, recipients) == ("no-reply@acme.example", [EMAIL])
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Reset your Acme password"
    assert message["From"] == SENDER
    (code,) = world.mailer.reset_codes()
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    assert code in text.get_content()
    logged = logs.text()
    assert '"message":"mail sent"' in logged
    assert code not in logged
    assert SMTP_PASSWORD not in logged


def test_the_smtp_url_names_its_server_and_never_shows_its_password() -> None:
    transport = SmtpTransport("smtps://user%40shop:p%40ss@smtp.example:2465")
    assert repr(transport) == "SmtpTransport(smtps://smtp.example:2465)"
    assert (transport._user, transport._password, transport._port) == ("user@shop", "p@ss", 2465)
    assert SmtpTransport("smtp://smtp.example")._port == 25
    assert SmtpTransport("smtps://smtp.example")._port == 465
    with pytest.raises(ValueError, match="SMTP_URL is"):
        SmtpTransport("https://smtp.example")
    assert "p@ss" not in repr(settings().model_copy(update={"smtp_url": "smtps://u:p%40ss@h"}))
