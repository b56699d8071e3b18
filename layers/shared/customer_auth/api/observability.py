"""Logger, metrics and tracer: created once per container, shared by every function."""

import logging
import os
import warnings
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

logger = Logger()
metrics = Metrics()

# powertools warns (UserWarning, to stderr) after an invocation that published no metric. Reads and
# refusals publish none by design, so the warning only ever said that: it printed on each process's
# first such request (make run's server, every Lambda environment). Metrics that are published
# still are; only this one message is silenced.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def _xray_subsegments() -> bool:
    """``XRAY_SUBSEGMENTS=true`` (template parameter XRaySubsegments). Read here rather than in
    ``Settings`` because the tracer's decorator is applied when a function's module is imported."""
    return os.environ.get("XRAY_SUBSEGMENTS", "false").strip().lower() == "true"


def _tracer() -> "Tracer | None":
    """powertools' Tracer, only when its subsegments are asked for. Creating one imports the X-Ray
    SDK and patches botocore (about 100 ms of every cold start, traced or not); Lambda's
    ``Tracing: Active`` records each invocation's segment without it."""
    if not _xray_subsegments():
        return None
    from aws_lambda_powertools import Tracer

    return Tracer()


tracer = _tracer()

# The event handler's own debug lines include validated route arguments (request bodies, so
# passwords): keep the library's logger above DEBUG whatever level the service logs at.
logging.getLogger("aws_lambda_powertools.event_handler").setLevel(logging.INFO)

# The AWS SDK's DEBUG lines print whole request and response bodies: the 2FA code put on the event
# bus, the signing keys read from Secrets Manager. Lambda's application log level (advanced logging
# controls) sets the root logger's level, which botocore inherits: keep the SDK above DEBUG too.
logging.getLogger("botocore").setLevel(logging.INFO)
