"""The emails themselves: one per event type, from the templates, in the tenant's language with
English as the fallback, HTML escaped and text not, the new address masked, and the reasons not
to send one."""

from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest

from customer_auth.domain.kernel.errors import InvalidParameter
from customer_auth.domain.tenants.mail import MailSettings
from customer_auth.domain.tenants.policies import SignInPolicy
from customer_auth.domain.tenants.tenant import Tenant
from customer_auth.mail.compose import KINDS, Mail, NoSender, Skip, compose, masked
from customer_auth.mail.render import locales_for
from customer_auth.store import items

NOW = datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC)
CODE = "Q7X2-K9M4-PL3R"


def detail(**changes: Any) -> dict[str, Any]:
    return {
        "tenantId": 1000,
        "siteId": 2000,
        "accountId": 7,
        "userId": "u7",
        "userName": "ada",
        "emailAddress": "ada@example.com",
        "oldEmailAddress": "ada@example.com",
        "newEmailAddress": "jane.doe@example.org",
        "confirmationCode": CODE,
        "otpCode": CODE,
        "expiresAt": (NOW + timedelta(minutes=9, seconds=30)).isoformat(),
        "via": "Change-Password",
        "region": "FR",
        "newDevice": True,
        "newRegion": True,
        "changedAt": NOW.isoformat(),
        **changes,
    }


def tenant(**mail: Any) -> Tenant:
    return Tenant(id=1000, name="Acme", mail=MailSettings(**mail) if mail else None)


def mail_for(detail_type: str, the_tenant: Tenant | None = None, **changes: Any) -> Mail:
    return compose(
        detail_type,
        detail(**changes),
        the_tenant if the_tenant is not None else tenant(),
        default_sender="Acme <no-reply@acme.example>",
        event_id="event-1",
        now=NOW,
    )


def parts(mail: Mail) -> tuple[str, str]:
    """The text and HTML parts as a mail client reads them from the sent bytes."""
    parsed = BytesParser(policy=policy.default).parsebytes(mail.as_bytes())
    assert isinstance(parsed, EmailMessage)
    text, html = (parsed.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    assert text is not None
    assert html is not None
    return text.get_content().replace("\r\n", "\n"), html.get_content()


SUBJECTS = {
    "TwoFactorCodeRequested": "Your Acme sign-in verification code",
    "PasswordResetRequested": "Reset your Acme password",
    "OtpSignInRequested": "Your Acme sign-in code",
    "AccountEmailChanged": "The email address of your Acme account was changed",
    "PasswordChanged": "Your Acme password was changed",
    "NewDeviceSignIn": "New sign-in to your Acme account",
    "AccountDeleted": "Your Acme account was deleted",
}


@pytest.mark.parametrize("detail_type", sorted(KINDS))
def test_each_event_type_has_its_email_with_a_text_and_an_html_part(detail_type: str) -> None:
    mail = mail_for(detail_type)
    text, html = parts(mail)

    assert mail.message["Subject"] == SUBJECTS[detail_type]
    assert mail.recipient == "ada@example.com"
    assert mail.sender == "Acme <no-reply@acme.example>"
    assert text.startswith("Hello ada,\n")
    assert "<p>Hello ada,</p>" in html
    assert f"<title>{SUBJECTS[detail_type]}</title>" in html
    carries_code = KINDS[detail_type].code is not None
    assert (CODE in text, CODE in html) == (carries_code, carries_code)
    if carries_code:
        assert "good for 10 minutes" in text  # 9.5 minutes left, rounded up


def test_the_bytes_are_an_rfc_5322_message_with_crlf_line_ends_and_automated_headers() -> None:
    mail = mail_for("PasswordResetRequested")
    raw = mail.as_bytes()

    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["Content-Language"] == "en"
    assert headers["Date"] == "Sat, 14 Mar 2026 09:26:53 +0000"
    assert headers["Message-ID"].endswith("@acme.example>")
    # One id per event, so a retry's copy is recognisably the same message.
    assert mail_for("PasswordResetRequested").message["Message-ID"] == headers["Message-ID"]
    other = compose(
        "PasswordResetRequested",
        detail(),
        tenant(),
        default_sender="x@acme.example",
        event_id="event-2",
        now=NOW,
    )
    assert other.message["Message-ID"] != headers["Message-ID"]


def test_html_is_escaped_and_text_is_not() -> None:
    mail = mail_for("PasswordChanged", tenant(shop_name="Tom & Jerry <b>Shop</b>"))
    text, html = parts(mail)

    assert "Tom & Jerry <b>Shop</b>" in text
    assert "Tom &amp; Jerry &lt;b&gt;Shop&lt;/b&gt;" in html
    assert "<b>Shop</b>" not in html


def test_the_email_changed_notice_goes_to_the_old_address_and_masks_the_new_one() -> None:
    mail = mail_for("AccountEmailChanged", emailAddress=None, oldEmailAddress="old@example.com")
    text, html = parts(mail)

    assert mail.recipient == "old@example.com"
    assert "j***@example.org" in text
    assert "j***@example.org" in html
    assert "jane.doe" not in text + html
    assert masked("x@y.example") == "x***@y.example"
    assert masked(None) == "***"


def test_the_tenants_settings_name_the_sender_shop_and_link() -> None:
    settings = {
        "sender": "Shop <hello@shop.example>",
        "shop_name": "The Shop",
        "link_base": "https://shop.example/me",
    }
    mail = mail_for("PasswordResetRequested", tenant(**settings))
    text, html = parts(mail)

    assert mail.sender == "Shop <hello@shop.example>"
    assert mail.sender_address == "hello@shop.example"
    assert mail.message["Subject"] == "Reset your The Shop password"
    assert "https://shop.example/me" in text
    assert 'href="https://shop.example/me"' in html
    assert CODE not in "https://shop.example/me"  # codes never go in a link
    plain = mail_for("PasswordResetRequested")
    assert "href=" not in parts(plain)[1]  # no link base: no link


@pytest.mark.parametrize(
    ("locale", "language", "subject"),
    [
        ("de", "de", "Ihr Passwort bei Acme zurücksetzen"),
        ("de-AT", "de", "Ihr Passwort bei Acme zurücksetzen"),
        ("pt-BR", "en", "Reset your Acme password"),
        (None, "en", "Reset your Acme password"),
    ],
)
def test_the_tenants_locale_with_english_as_the_fallback(
    locale: str | None, language: str, subject: str
) -> None:
    mail = mail_for("PasswordResetRequested", tenant(locale=locale) if locale else tenant())
    text, html = parts(mail)

    assert mail.message["Subject"] == subject
    assert mail.message["Content-Language"] == language
    assert f'<html lang="{language}">' in html
    assert CODE in text
    assert text.startswith("Hallo ada," if language == "de" else "Hello ada,")
    assert locales_for("pt-BR") == ["pt-BR", "pt", "en"]
    assert locales_for("../../etc") == ["en"]


def test_reasons_not_to_send_say_why_without_a_value() -> None:
    with pytest.raises(Skip, match="no template for PasswordResetUnmatched"):
        mail_for("PasswordResetUnmatched")
    with pytest.raises(Skip, match="names no email address"):
        mail_for("PasswordChanged", emailAddress=None)
    with pytest.raises(Skip, match="expired") as expired:
        mail_for("PasswordResetRequested", expiresAt=NOW.isoformat())
    assert CODE not in str(expired.value)
    with pytest.raises(NoSender):
        compose("PasswordChanged", detail(), tenant(), default_sender=None, event_id="e", now=NOW)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"sender": "not an address"}, "sender"),
        ({"sender": "Shop <a@b.example>\r\nBcc: x@evil.example"}, "sender"),
        ({"shop_name": "Shop\nBcc: x@evil.example"}, "shopName"),
        ({"shop_name": "  "}, "shopName"),
        ({"link_base": "javascript:alert(1)"}, "linkBase"),
        ({"locale": "../de"}, "locale"),
    ],
)
def test_a_tenants_mail_settings_are_checked_when_made(settings: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        MailSettings(**settings)
    assert refused.value.field == field


def test_a_tenant_stores_its_mail_settings_and_new_device_switch_and_older_tenants_keep_their_layout() -> (
    None
):
    plain = Tenant(id=1, name="Plain")
    assert "mail" not in items.TENANT.attributes(plain)
    assert "newDeviceNotice" not in items.TENANT.attributes(plain)["signInPolicy"]

    full = Tenant(
        id=2,
        name="Full",
        sign_in_policy=SignInPolicy(new_device_notice=True),
        mail=MailSettings(
            sender="S <s@s.example>", shop_name="S", link_base="https://s.example", locale="de"
        ),
    )
    stored = items.TENANT.attributes(full)
    assert stored["mail"] == {
        "sender": "S <s@s.example>",
        "shopName": "S",
        "linkBase": "https://s.example",
        "locale": "de",
    }
    assert stored["signInPolicy"]["newDeviceNotice"] is True
    assert items.TENANT.read({**stored, "tenantId": 2}) == full
    assert items.mail_settings_from({"shopName": "S"}) == MailSettings(shop_name="S")
