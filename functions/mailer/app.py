"""The mailer: one email for each event the service publishes for a shopper (codes and security
notices), rendered from the templates in the tenant's language and sent through Amazon SES (or
the ``SMTP_URL`` server).

EventBridge's rule on the code bus puts those events on the mail queue; Lambda hands this
function batches of them. An email is sent once per event id, however often the event arrives:
powertools' idempotency records each event's outcome in the service's table, so a redelivery
(EventBridge's or SQS's retries, a duplicate) sends nothing. A send that fails is reported back
as the batch's failure, retried by SQS, and after five receives moved to the dead-letter queue,
whose alarm fires. Neither codes nor addresses are ever logged.
"""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from customer_auth import coldstart
from customer_auth.api.mailer import IDEMPOTENCY_SECONDS, idempotency_store, mailer
from customer_auth.api.observability import logger
from customer_auth.mail.compose import Skip

# A batch whose every send failed is reported like any other (each item's failure), not raised:
# SQS retries the items either way, and a raise would log each failure's traceback again.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
idempotency = IdempotencyConfig(
    event_key_jmespath="id", expires_after_seconds=IDEMPOTENCY_SECONDS, raise_on_no_idempotency_key=True
)


class MailNotSent(Exception):
    """A send that failed, named by its event and its error's type only (retried, then dead-lettered)."""


def _about(event: Any) -> dict[str, Any]:
    """What a log line may say of an event: its id, type and whose it is (no address, no code)."""
    if not isinstance(event, dict):
        return {}
    found = event.get("detail")
    detail: dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "eventId": event.get("id"),
        "detailType": event.get("detail-type"),
        **{name: detail.get(name) for name in ("tenantId", "accountId", "userId") if name in detail},
    }


def _deliver(event: dict[str, Any]) -> dict[str, Any]:
    """The email of one EventBridge event. The outcome is kept as the event's idempotency record,
    so it holds nothing secret."""
    try:
        sent = mailer().send(
            event["detail-type"], event["detail"], event_id=event["id"], now=datetime.now(UTC)
        )
    except Skip as skip:
        logger.info("mail not sent", extra={**_about(event), "reason": str(skip)})
        return {"sent": False, "reason": str(skip)}
    outcome = {"sent": True, "messageId": sent.message_id, "locale": sent.locale}
    logger.info("mail sent", extra={**_about(event), **outcome})
    return outcome


@cache
def deliver() -> Callable[..., dict[str, Any]]:
    """``_deliver`` once per event id (built on first use: its store's client belongs to the AWS of
    the first call)."""
    once: Callable[..., dict[str, Any]] = idempotent_function(
        _deliver, data_keyword_argument="event", persistence_store=idempotency_store(), config=idempotency
    )
    return once


def record_handler(record: SQSRecord) -> None:
    event: Any = {}
    try:
        event = json.loads(record.body)
        deliver()(event=event)
    except Exception as error:
        reason = (
            error.response["Error"].get("Code", "ClientError")
            if isinstance(error, ClientError)
            else type(error).__name__
        )
        logger.warning("mail failed; SQS retries it", extra={**_about(event), "error": reason})
        # Raised afresh, without the original: its message may quote what was being sent.
        about = _about(event)
        raise MailNotSent(
            f"{about.get('detailType', 'event')} {about.get('eventId', '')}: {reason}"
        ) from None


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)


coldstart.init_done()  # the function is built: freeze its heap and let the collector run again
