"""What the mailer function builds once per container: its transport, its idempotency store."""

from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from ..mail.mailer import Mailer
from ..mail.transports import SesTransport, SmtpTransport, Transport
from . import runtime
from .settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

IDEMPOTENCY_PARTITION = "MAILER#IDEMPOTENCY"
"""The partition of the service's table that holds the mailer's idempotency records (one item per
event, kept a day by the table's TTL); the mailer's IAM policy writes nowhere else."""
IDEMPOTENCY_SECONDS = 24 * 3600
"""How long an event's email counts as sent: EventBridge retries for up to 24 hours."""

_BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@cache
def mailer() -> Mailer:
    """SES in ``MAIL_REGION`` (the function's own by default), or the ``SMTP_URL`` server."""
    config = settings()
    transport: Transport
    if config.smtp_url is not None:
        transport = SmtpTransport(config.smtp_url.get_secret_value())
    else:
        client = boto3.client("sesv2", region_name=config.mail_region, config=_BOTO_CONFIG)
        transport = SesTransport(client, config.mail_configuration_set)
    return Mailer(runtime.store().get_tenant, [transport], config.mail_sender)


@cache
def idempotency_store() -> "DynamoDBPersistenceLayer":
    """powertools' DynamoDB persistence on the service's table: its key, its TTL attribute."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=settings().table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=IDEMPOTENCY_PARTITION,
        expiry_attr="expiresAt",
        boto3_client=boto3.client("dynamodb", config=_BOTO_CONFIG),
    )
