"""The mailer on moto: each event the service publishes goes through the code bus, template.yaml's
own rule and queue, and the mailer function to SES, which records the email. A redelivered event
sends nothing; a send SES refuses is retried and then dead-lettered; no log line holds a code.

How honest is it: the service's handlers publish the events (driven by API Gateway events);
moto's EventBridge matches them against the template's ``MailRule`` pattern and puts them on a
queue made with ``MailQueue``'s properties (its redrive policy to the dead-letter queue
included); the mailer's real handler gets them in Lambda's SQS event shape and sends through
moto's SES v2. The one stand-in is Lambda's SQS poller (``MailPipeline.poll``, see
tests/support/mail.py), which moto does not run.
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from customer_auth.api import runtime
from customer_auth.api.mailer import IDEMPOTENCY_PARTITION
from customer_auth.api.settings import settings
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.mail import MailSettings
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from customer_auth.domain.tenants.tenant import Tenant
from customer_auth.mail.compose import KINDS
from customer_auth.outbox import EVENT_SOURCE
from tests.support.assertions import ok
from tests.support.fixtures import SITE_ID, TENANT_ID, World
from tests.support.mail import (
    CONFIGURATION_SET,
    SENDER,
    Logs,
    MailPipeline,
    Sent,
    forget_mailer_clients,
    logs_at_debug,
)

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "analytical engine 1843"
EMAIL = "ada@example.com"
ACCOUNTS = "/api/commerce/customer/accounts"
TICKETS = "/api/commerce/customer/authtickets"


@pytest.fixture
def mail(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailPipeline]:
    monkeypatch.setenv("MAIL_SENDER", SENDER)
    monkeypatch.setenv("MAIL_CONFIGURATION_SET", CONFIGURATION_SET)
    settings.cache_clear()
    forget_mailer_clients()
    pipeline = MailPipeline()
    yield pipeline
    pipeline.close()
    forget_mailer_clients()
    monkeypatch.undo()
    settings.cache_clear()


@pytest.fixture
def logs(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Iterator[Logs]:
    with logs_at_debug(capfd, caplog) as captured:
        yield captured


def _tenant() -> Tenant:
    tenant = runtime.store().get_tenant(TENANT_ID)
    assert tenant is not None
    return tenant


def _change_tenant(**changes: Any) -> None:
    provision_tenant(runtime.store(), replace(_tenant(), **changes))


@dataclass
class Shopper:
    world: World
    app: str
    account_id: int
    user_id: str
    waiting: dict[str, Any] | None = None
    """A sign-in's ticket waiting for its second factor."""

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.world.api.call(method, path, body, token=self.app, **kwargs)


def _shopper(world: World) -> Shopper:
    app = world.app_token()
    account_id = world.add_account(app, emailAddress=EMAIL)["id"]
    body = {"emailAddress": EMAIL, "password": PASSWORD, "fingerprint": "laptop-cookie", "region": "GB"}
    created = ok(world.create_login(account_id, body, token=app))
    return Shopper(world, app, account_id, created["customerAccount"]["userId"])


@dataclass(frozen=True)
class Case:
    """An event type: what makes the service publish it, and what its email must say."""

    trigger: Callable[[Shopper], None]
    to: str
    subject: str
    use_code: Callable[[Shopper, str], None] | None = None
    """Completes the flow with the code read off the email (code events only)."""
    says: str = ""


def _two_factor(shopper: Shopper) -> None:
    _change_tenant(two_factor_policy=TwoFactorPolicy(always=True))
    ticket = ok(shopper.call("POST", TICKETS, {"username": EMAIL, "password": PASSWORD}))
    assert ticket["requires2FA"] is True
    shopper.waiting = ticket
    sent = shopper.call(
        "POST", f"{TICKETS}/2fa/request", headers={"x-vol-user-claims": ticket["accessToken"]}
    )
    assert sent.status == 204, sent.text


def _complete_two_factor(shopper: Shopper, code: str) -> None:
    ticket = shopper.waiting
    assert ticket is not None
    body = {"userId": ticket["userId"], "otpCode": code}
    ok(
        shopper.call(
            "POST", f"{TICKETS}/2fa/auth", body, headers={"x-vol-user-claims": ticket["accessToken"]}
        )
    )


def _reset(shopper: Shopper) -> None:
    assert shopper.call("POST", f"{ACCOUNTS}/Reset-Password", {"emailAddress": EMAIL}).status == 200


def _complete_reset(shopper: Shopper, code: str) -> None:
    body = {"userName": EMAIL, "confirmationCode": code, "newPassword": NEW_PASSWORD}
    assert shopper.call("POST", f"{ACCOUNTS}/Update-Forgotten-Password", body).status == 200


def _passwordless(shopper: Shopper) -> None:
    tenant = _tenant()
    _change_tenant(sign_in_policy=replace(tenant.sign_in_policy, passwordless_sign_in=True))
    assert shopper.call("POST", f"{TICKETS}/otp/request", {"email": EMAIL}).status == 204


def _complete_passwordless(shopper: Shopper, code: str) -> None:
    ok(shopper.call("POST", f"{TICKETS}/otp/auth", {"email": EMAIL, "otpCode": code}))


def _email_change(shopper: Shopper) -> None:
    body = {"emailAddress": "jane.doe@example.org", "firstName": "Ada"}
    ok(shopper.call("PUT", f"{ACCOUNTS}/{shopper.account_id}", body))


def _password_change(shopper: Shopper) -> None:
    body = {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    assert shopper.call("POST", f"{ACCOUNTS}/{shopper.account_id}/Change-Password", body).status == 204


def _new_device(shopper: Shopper) -> None:
    tenant = _tenant()
    _change_tenant(sign_in_policy=replace(tenant.sign_in_policy, new_device_notice=True))
    body = {"username": EMAIL, "password": PASSWORD, "fingerprint": "phone-cookie", "region": "FR"}
    ok(shopper.call("POST", TICKETS, body))


def _deletion(shopper: Shopper) -> None:
    assert shopper.call("DELETE", f"{ACCOUNTS}/{shopper.account_id}").status == 204


CASES = {
    "TwoFactorCodeRequested": Case(
        _two_factor, EMAIL, "Your Acme sign-in verification code", _complete_two_factor, "finish signing in"
    ),
    "PasswordResetRequested": Case(
        _reset, EMAIL, "Reset your Acme password", _complete_reset, "confirmation code"
    ),
    "OtpSignInRequested": Case(
        _passwordless, EMAIL, "Your Acme sign-in code", _complete_passwordless, "to sign in to Acme"
    ),
    "AccountEmailChanged": Case(
        _email_change, EMAIL, "The email address of your Acme account was changed", says="j***@example.org"
    ),
    "PasswordChanged": Case(_password_change, EMAIL, "Your Acme password was changed", says="signed out"),
    "NewDeviceSignIn": Case(_new_device, EMAIL, "New sign-in to your Acme account", says="in FR, a region"),
    "AccountDeleted": Case(_deletion, EMAIL, "Your Acme account was deleted", says="was deleted"),
}


def test_every_event_type_the_mailer_knows_is_a_case_here_and_in_the_rule(mail: MailPipeline) -> None:
    assert set(CASES) == set(KINDS) == set(mail.pattern["detail-type"])


def _code_in(sent: Sent) -> str | None:
    found = re.search(r"^ {4}(\S+)$", sent.part("plain"), re.MULTILINE)
    return found.group(1) if found else None


@pytest.mark.parametrize("detail_type", sorted(CASES))
def test_each_event_goes_from_the_bus_through_the_rule_and_the_mailer_to_ses(
    world: World, mail: MailPipeline, detail_type: str, logs: Logs
) -> None:
    case = CASES[detail_type]
    shopper = _shopper(world)
    case.trigger(shopper)

    mail.drain()

    (sent,) = [s for s in mail.sent() if s.message["Subject"] == case.subject]
    assert set(sent.destinations) == {case.to}  # moto adds the To header's address to Destination's
    assert sent.message["To"] == case.to
    assert sent.message["From"] == SENDER
    assert sent.source == SENDER
    text, html = sent.part("plain"), sent.part("html")
    assert case.says in text
    request = next(r for r in mail.requests if r["EmailTags"] == [{"Name": "event", "Value": detail_type}])
    assert request["ConfigurationSetName"] == CONFIGURATION_SET
    assert request["Destination"] == {"ToAddresses": [case.to]}
    code = _code_in(sent)
    if case.use_code is None:
        assert code is None
    else:
        assert code is not None
        assert code in html
        case.use_code(shopper, code)  # the code in the email is the one the service accepts
        logged = logs.text()
        assert '"message":"mail sent"' in logged
        assert code not in logged
    assert mail.waiting(mail.dead_letters) == 0


def test_an_event_delivered_again_sends_nothing(world: World, mail: MailPipeline) -> None:
    shopper = _shopper(world)
    _reset(shopper)
    (message,) = mail.receive()
    event = mail.lambda_event([message])

    assert mail.invoke(event) == {"batchItemFailures": []}
    assert mail.invoke(event) == {"batchItemFailures": []}  # Lambda retrying the same batch
    mail.sqs.delete_message(QueueUrl=mail.queue, ReceiptHandle=message["ReceiptHandle"])
    # ... and the same EventBridge event queued twice (SQS delivers at least once).
    mail.sqs.send_message(QueueUrl=mail.queue, MessageBody=message["Body"])
    mail.drain()

    assert [s.message["Subject"] for s in mail.sent()] == ["Reset your Acme password"]
    stored = world.dynamodb.query(
        TableName=world.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": IDEMPOTENCY_PARTITION}},
    )["Items"]
    assert [item["status"]["S"] for item in stored] == ["COMPLETED"]
    assert "expiresAt" in stored[0]  # the table's TTL removes it
    assert _code_in(mail.sent()[0]) not in json.dumps(stored)


def test_a_send_ses_refuses_is_retried_then_dead_lettered_and_sent_once_fixed(
    world: World, mail: MailPipeline, logs: Logs
) -> None:
    _change_tenant(mail=MailSettings(sender="Other shop <no-reply@unverified.example>"))
    shopper = _shopper(world)
    _reset(shopper)

    failures = [mail.poll() for _ in range(mail.max_receives)]
    assert all(len(failed) == 1 for failed in failures)
    assert mail.poll() == []  # the sixth receive moves it to the dead-letter queue instead
    assert mail.sent() == []
    assert mail.waiting() == 0
    assert mail.waiting(mail.dead_letters) == 1
    logged = logs.text()
    assert logged.count('"message":"mail failed; SQS retries it"') == mail.max_receives
    assert '"error":"MessageRejected"' in logged

    # The sender verified, the dead letter sent back to the mail queue (a redrive): it goes out.
    boto3.client("sesv2").create_email_identity(EmailIdentity="unverified.example")
    (dead,) = mail.receive(mail.dead_letters)
    mail.sqs.send_message(QueueUrl=mail.queue, MessageBody=dead["Body"])
    mail.drain()
    (sent,) = mail.sent()
    assert sent.message["From"] == "Other shop <no-reply@unverified.example>"
    code = _code_in(sent)
    assert code is not None
    assert code not in logs.text()


def test_no_sender_anywhere_is_a_failure_to_fix_not_a_silent_skip(
    world: World, mail: MailPipeline, monkeypatch: pytest.MonkeyPatch, logs: Logs
) -> None:
    monkeypatch.delenv("MAIL_SENDER")
    settings.cache_clear()
    forget_mailer_clients()
    _reset(_shopper(world))

    assert len(mail.poll()) == 1
    assert mail.sent() == []
    assert '"error":"NoSender"' in logs.text()


def _put(mail: MailPipeline, detail_type: str, detail: dict[str, Any]) -> None:
    response = mail.events.put_events(
        Entries=[
            {
                "EventBusName": mail.bus,
                "Source": EVENT_SOURCE,
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
        ]
    )
    assert response["FailedEntryCount"] == 0


def test_a_code_that_expired_before_it_could_be_sent_is_not_sent(mail: MailPipeline, logs: Logs) -> None:
    expired = datetime.now(UTC) - timedelta(minutes=1)
    detail = {
        "tenantId": TENANT_ID,
        "siteId": SITE_ID,
        "accountId": 1,
        "userId": "u1",
        "userName": EMAIL,
        "emailAddress": EMAIL,
        "confirmationCode": "QWERTY-123456",
        "expiresAt": expired.isoformat(),
    }
    _put(mail, "PasswordResetRequested", detail)

    assert mail.poll() == []
    assert mail.sent() == []
    logged = logs.text()
    assert "the code expired before it could be sent" in logged
    assert "QWERTY-123456" not in logged


def test_the_rule_queues_every_mailed_event_and_no_decoy(mail: MailPipeline) -> None:
    """moto's EventBridge matches put events against the template's pattern (its
    ``TestEventPattern`` is a stub, so the events go through the bus itself)."""
    for detail_type in [*KINDS, "PasswordResetUnmatched", "OtpSignInUnmatched"]:
        _put(mail, detail_type, {"tenantId": TENANT_ID, "siteId": SITE_ID})

    queued = []
    while messages := mail.receive():
        queued += [json.loads(m["Body"])["detail-type"] for m in messages]
        for m in messages:
            mail.sqs.delete_message(QueueUrl=mail.queue, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(queued) == sorted(KINDS)


def test_a_message_that_is_no_event_fails_without_quoting_it(mail: MailPipeline, logs: Logs) -> None:
    mail.sqs.send_message(QueueUrl=mail.queue, MessageBody="not an event: secret-ish 424242")

    assert len(mail.poll()) == 1
    logged = logs.text()
    assert '"error":"JSONDecodeError"' in logged
    assert "424242" not in logged
    assert mail.sent() == []
