"""Logger, metrics and tracer: created once per container, shared by every function."""

import logging

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
metrics = Metrics()
tracer = Tracer()

# The event handler's own debug lines include validated route arguments (request bodies, so
# passwords): keep the library's logger above DEBUG whatever level the service logs at.
logging.getLogger("aws_lambda_powertools.event_handler").setLevel(logging.INFO)

# The AWS SDK's DEBUG lines print whole request and response bodies: the 2FA code put on the event
# bus, the signing keys read from Secrets Manager. Lambda's application log level (advanced logging
# controls) sets the root logger's level, which botocore inherits: keep the SDK above DEBUG too.
logging.getLogger("botocore").setLevel(logging.INFO)
