"""The same emails locally: `make run`'s server renders each event's email from the mailer's
templates into local-outbox/mail/ as an RFC 5322 .eml file (the .jsonl lines stay), sends it to
``SMTP_URL``'s server when one is given (here an aiosmtpd server the test starts), and shows it on
the mailbox page. A real headless chromium reads a reset code off that page, and the code then
resets the password over HTTP."""

import asyncio
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.e2e.conftest import LocalServer, free_port, last_outbox_line, registered, start_server, stop_server
from tests.e2e.test_two_factor_e2e import Output
from tests.support.browser import chromium, needs_chromium
from tests.support.png import colours, dark_share

PASSWORD = "forgotten passphrase 42"
NEW_PASSWORD = "recovered passphrase 43"
ACCOUNTS = "/api/commerce/customer/accounts"
SIGN_IN = "/api/commerce/customer/authtickets"
SHOP = "Demo storefront"  # the seed tenant's mail settings (tools/local_api/seed.json)


@dataclass
class Inbox:
    """An SMTP server's received messages (aiosmtpd's handler)."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.received.append((str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 Message accepted"


@dataclass
class MailServer:
    server: LocalServer
    output: Output
    outbox: Path
    mail: Path
    smtp: Inbox

    def emails(self, to: str, subject: str, timeout: float = 10) -> list[Path]:
        """The .eml files to ``to`` with ``subject``, once there is one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [p for p in sorted(self.mail.glob("*.eml")) if _matches(p, to, subject)]
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no email to {to} about {subject!r} in {self.mail}")

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        from urllib import error, request

        try:
            with request.urlopen(self.server.base + path, timeout=10) as response:  # noqa: S310 (loopback)
                return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
        except error.HTTPError as failure:
            return failure.code, {k.lower(): v for k, v in failure.headers.items()}, failure.read()


def _parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _matches(path: Path, to: str, subject: str) -> bool:
    message = _parsed(path.read_bytes())
    return message["To"] == to and message["Subject"] == subject


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text: str = body.get_content()
    return text.replace("\r\n", "\n")


def _code(text: str) -> str:
    found = re.search(r"^ {4}(\S+)$", text, re.MULTILINE)
    assert found, text
    return found.group(1)


@pytest.fixture(scope="module")
def mailing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailServer]:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port(), loop=asyncio.new_event_loop())
    smtp.start()
    outbox = tmp_path_factory.mktemp("outbox") / "2fa-codes.jsonl"
    server = start_server({"CODE_OUTBOX_FILE": str(outbox), "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}"})
    assert server.process.stdout is not None
    output = Output(server.process.stdout)
    try:
        yield MailServer(server, output, outbox, outbox.with_name("mail"), inbox)
    finally:
        stop_server(server)
        smtp.stop()


def _email() -> str:
    return f"mailbox-{uuid.uuid4().hex[:10]}@example.com"


def _reset(mailing: MailServer) -> tuple[str, str, dict[str, Any]]:
    """A shopper who asked for a password reset: app token, email, ticket."""
    server = mailing.server
    app = server.app_token()
    email = _email()
    ticket = registered(server, app, email, PASSWORD)
    asked = server.call("POST", f"{ACCOUNTS}/Reset-Password", {"emailAddress": email}, token=app)
    assert (asked.status, asked.body) == (200, None)
    return app, email, ticket


def test_the_banner_names_the_mailbox_page(mailing: MailServer) -> None:
    mailing.output.wait_for(f"{mailing.server.base}/mailbox")
    assert str(mailing.mail) in mailing.output.text()


def test_a_password_reset_is_an_eml_file_an_smtp_message_and_a_line_of_the_jsonl(mailing: MailServer) -> None:
    _, email, ticket = _reset(mailing)

    (path,) = mailing.emails(email, f"Reset your {SHOP} password")
    message = _parsed(path.read_bytes())
    assert message["From"] == f"{SHOP} <no-reply@demo-storefront.example>"
    assert path.stat().st_mode & 0o777 == 0o600  # it holds a code
    assert b"\r\n" in path.read_bytes()
    code = _code(_text(message))
    line = last_outbox_line(mailing.outbox.with_name("password-resets.jsonl"), ticket["userId"])
    assert line["confirmationCode"] == code  # the .jsonl files stay, for scripts that read codes

    deadline = time.monotonic() + 10
    while not any(email in to for _, to, _ in mailing.smtp.received) and time.monotonic() < deadline:
        time.sleep(0.05)
    (sent_by_smtp,) = [raw for _, to, raw in mailing.smtp.received if to == [email]]
    assert _parsed(sent_by_smtp)["Message-ID"] == message["Message-ID"]  # the same message
    assert code in _text(_parsed(sent_by_smtp))
    mailing.output.wait_for("PasswordResetRequested mailed to the local mailbox", ticket["userId"])
    assert code not in mailing.output.text()


def test_the_mailbox_page_lists_opens_and_shows_each_part(mailing: MailServer) -> None:
    _, email, _ = _reset(mailing)
    (path,) = mailing.emails(email, f"Reset your {SHOP} password")
    code = _code(_text(_parsed(path.read_bytes())))
    name = path.stem

    status, headers, page = mailing.get("/mailbox")
    assert (status, headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert f'href="/mailbox/{name}"'.encode() in page
    assert email.encode() in page

    status, _, page = mailing.get(f"/mailbox/{name}")
    assert status == 200
    assert code.encode() in page
    assert f'src="/mailbox/{name}/html"'.encode() in page

    status, headers, html = mailing.get(f"/mailbox/{name}/html")
    assert status == 200
    assert headers["content-security-policy"].startswith("sandbox;")
    assert b'id="code"' in html
    assert code.encode() in html
    assert code.encode() in mailing.get(f"/mailbox/{name}/text")[2]
    assert mailing.get(f"/mailbox/{name}/raw")[2] == path.read_bytes()

    for bad in ("/mailbox/nope", "/mailbox/..%2f..%2fetc%2fpasswd", f"/mailbox/{name}/other"):
        assert mailing.get(bad)[0] == 404, bad


def test_no_request_prints_powertools_empty_metrics_warning(mailing: MailServer) -> None:
    app = mailing.server.app_token()
    assert mailing.server.call("GET", "/.well-known/jwks.json").status == 200
    assert mailing.server.call("GET", f"{ACCOUNTS}/current", token=app).status == 401
    time.sleep(0.2)
    assert "No application metrics to publish" not in mailing.output.text()


@needs_chromium
def test_a_browser_reads_the_code_off_the_mailbox_page_and_the_code_resets_the_password(
    mailing: MailServer, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    server = mailing.server
    app, email, ticket = _reset(mailing)
    mailing.emails(email, f"Reset your {SHOP} password")

    with chromium() as browser:
        browser.get(f"{server.base}/mailbox")
        row = next(r for r in browser.find_elements(By.CSS_SELECTOR, "tr.message") if email in r.text)
        row.find_element(By.LINK_TEXT, f"Reset your {SHOP} password").click()
        assert browser.find_element(By.ID, "subject").text == f"Reset your {SHOP} password"
        assert browser.find_element(By.ID, "to").text == email
        code = _code(browser.find_element(By.ID, "text-part").text.replace("\r\n", "\n"))

        frame = browser.find_element(By.ID, "html-part")
        browser.execute_script("arguments[0].scrollIntoView()", frame)
        browser.switch_to.frame(frame)
        shown = browser.find_element(By.ID, "code")
        assert shown.is_displayed()
        assert shown.text == code  # the HTML part shows the code the text part has
        glyphs = shown.screenshot_as_png
        browser.switch_to.default_content()
        page = tmp_path / "mailbox-reset-email.png"
        assert browser.save_screenshot(str(page))

    # The code is drawn, not merely present: its own screenshot has dark glyphs on a light ground,
    # and the page's has the many colours of a rendered page (a blank one has one or two).
    assert 0.02 < dark_share(glyphs) < 0.6
    assert colours(page.read_bytes()) > 50
    print(f"screenshot: {page}")

    body = {"userName": email, "confirmationCode": code, "newPassword": NEW_PASSWORD}
    updated = server.call("POST", f"{ACCOUNTS}/Update-Forgotten-Password", body, token=app)
    assert (updated.status, updated.body) == (200, None)
    signed_in = server.call("POST", SIGN_IN, {"username": email, "password": NEW_PASSWORD}, token=app)
    assert signed_in.status == 200, signed_in.body
    assert signed_in.body["customerAccount"]["userId"] == ticket["userId"]
    # ... and the change is announced, to the same mailbox.
    mailing.emails(email, f"Your {SHOP} password was changed")
