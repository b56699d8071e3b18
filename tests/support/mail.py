"""The stack's mail pipeline on moto, built from template.yaml's own definitions: the code bus's
``MailRule`` feeding ``MailQueue`` (its redrive policy to ``MailDeadLetterQueue``), SES with a
verified sender, and the mailer function's handler fed the queue's messages as Lambda's SQS poller
feeds it.

moto delivers EventBridge events to an SQS target for real, and moves a message to its queue's
dead-letter queue after ``maxReceiveCount`` receives as SQS does; what it does not do is run
Lambda's poller. ``MailPipeline.poll`` stands in for it: it receives a batch, invokes the handler
with Lambda's SQS event, deletes what the handler did not report as failed, and makes the failures
visible again at once, as the visibility timeout's end would.
"""

import importlib.util
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from customer_auth.api import mailer as mail_runtime
from customer_auth.api.observability import logger
from tools import sam_template
from tools.local_api.router import LambdaContext

SENDER = "Acme <no-reply@acme.example>"
"""The deployment's ``MailSender`` in these tests; its domain is verified in SES."""
CONFIGURATION_SET = "customer-auth-test-mail"


def mailer_module() -> ModuleType:
    """functions/mailer/app.py, loaded as Lambda loads it (once per test session, as a warm container)."""
    name = "_mailer_function_under_test"
    if name not in sys.modules:
        properties = sam_template.resources()["MailerFunction"]["Properties"]
        path = sam_template.ROOT / properties["CodeUri"] / "app.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def forget_mailer_clients() -> None:
    """The mailer's cached clients dropped, so each test's moto is the one used."""
    mail_runtime.mailer.cache_clear()
    mail_runtime.idempotency_store.cache_clear()
    mailer_module().deliver.cache_clear()


@dataclass
class Sent:
    """An email SES recorded."""

    source: str
    destinations: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, subtype
        assert body.get_content_subtype() == subtype, subtype
        content: str = body.get_content()
        return content.replace("\r\n", "\n")


class MailPipeline:
    def __init__(self) -> None:
        resources = sam_template.resources()
        self.sqs = boto3.client("sqs")
        self.events = boto3.client("events")
        self.bus = os.environ["CODE_EVENT_BUS_NAME"]
        self.dead_letters = self._queue("mail-dead-letters", resources["MailDeadLetterQueue"]["Properties"])
        queue = dict(resources["MailQueue"]["Properties"])
        redrive = dict(queue.pop("RedrivePolicy"))
        assert redrive.pop("deadLetterTargetArn") == {"Fn::GetAtt": "MailDeadLetterQueue.Arn"}
        redrive["deadLetterTargetArn"] = self._arn(self.dead_letters)
        self.max_receives = int(redrive["maxReceiveCount"])
        self.queue = self._queue("mail", {**queue, "RedrivePolicy": json.dumps(redrive)})

        rule = resources["MailRule"]["Properties"]
        assert rule["EventBusName"] == {"Ref": "CodeDeliveryBus"}
        self.pattern: dict[str, Any] = rule["EventPattern"]
        self.events.put_rule(Name="mail", EventBusName=self.bus, EventPattern=json.dumps(self.pattern))
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Fn::GetAtt": "MailQueue.Arn"}
        self.events.put_targets(
            Rule="mail",
            EventBusName=self.bus,
            Targets=[
                {
                    "Id": target["Id"],
                    "Arn": self._arn(self.queue),
                    "DeadLetterConfig": {"Arn": self._arn(self.dead_letters)},
                }
            ],
        )
        ses = boto3.client("sesv2")
        ses.create_email_identity(EmailIdentity="acme.example")
        ses.create_configuration_set(ConfigurationSetName=CONFIGURATION_SET)
        self.requests: list[dict[str, Any]] = []
        """What the mailer asked SES (``SendEmail``'s parameters)."""
        boto3.DEFAULT_SESSION.events.register("provide-client-params.sesv2.SendEmail", self._record)  # type: ignore[union-attr]

    def close(self) -> None:
        boto3.DEFAULT_SESSION.events.unregister("provide-client-params.sesv2.SendEmail", self._record)  # type: ignore[union-attr]

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(params)

    def _queue(self, name: str, properties: dict[str, Any]) -> str:
        attributes = {key: str(value) for key, value in properties.items() if key != "SqsManagedSseEnabled"}
        url: str = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        return url

    def _arn(self, url: str) -> str:
        arn: str = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        return arn

    def waiting(self, url: str | None = None) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queue, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def receive(self, url: str | None = None) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.sqs.receive_message(
            QueueUrl=url or self.queue, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        return messages

    def queued_events(self) -> list[dict[str, Any]]:
        """The EventBridge events queued since the last call (taken off the queue, nothing mailed)."""
        found: list[dict[str, Any]] = []
        while messages := self.receive():
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return found

    def lambda_event(self, messages: list[dict[str, Any]]) -> dict[str, Any]:
        """Lambda's SQS event for these messages."""
        arn = self._arn(self.queue)
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": os.environ["AWS_DEFAULT_REGION"],
                }
                for m in messages
            ]
        }

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        context = LambdaContext(
            function_name="customer-auth-MailerFunction",
            aws_request_id="mailer-test",
            invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:customer-auth-MailerFunction",
        )
        handler: Callable[[dict[str, Any], Any], dict[str, Any]] = mailer_module().lambda_handler
        return handler(event, context)

    def poll(self) -> list[str]:
        """One batch through the mailer, as Lambda's poller runs it; the failed messages' ids."""
        messages = self.receive()
        if not messages:
            return []
        response = self.invoke(self.lambda_event(messages))
        failed = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
        return failed

    def drain(self) -> None:
        """Poll until the queue is empty (every message sent, or dead-lettered)."""
        for _ in range(10 * (self.max_receives + 1)):
            if not self.waiting() and not self.receive_nothing_pending():
                return
            self.poll()
        raise AssertionError("the mail queue never emptied")

    def receive_nothing_pending(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def sent(self) -> list[Sent]:
        """Every email SES recorded so far (moto's record: its documented ``sent_messages``)."""
        backend = ses_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
        parser = BytesParser(policy=policy.default)
        found = []
        for message in backend.sent_messages:
            parsed = parser.parsebytes(message.raw_data.encode())
            assert isinstance(parsed, EmailMessage)
            found.append(Sent(message.source, list(message.destinations), parsed))
        return found


def eml(path: Path) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


class _CurrentStdout:
    """Whatever ``sys.stdout`` is when a line is written (the service's log handler bound its
    stream at import, before the test's capture began)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class Logs:
    def __init__(self, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
        self._capfd, self._caplog = capfd, caplog
        self._written = ""

    def text(self) -> str:
        """Everything logged so far: the lines written to stdout and stderr, and every log record
        with its arguments and extra fields."""
        out, err = self._capfd.readouterr()
        self._written += out + err
        records = [json.dumps(vars(r), default=str) + r.getMessage() for r in self._caplog.records]
        return self._written + "\n".join(records)


@contextmanager
def logs_at_debug(capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> Iterator[Logs]:
    """The service's logger and the root logger at DEBUG, as an operator chasing a problem would
    turn them up, everything captured."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous_stream = handler.setStream(_CurrentStdout())  # type: ignore[arg-type]
    previous_level = logger.log_level
    logger.setLevel("DEBUG")
    caplog.set_level(logging.DEBUG)
    try:
        yield Logs(capfd, caplog)
    finally:
        logger.setLevel(previous_level)
        handler.setStream(previous_stream)
