"""POST /api/commerce/customer/authtickets/otp/request: send a passwordless sign-in code.

Always 204 with no body when the tenant allows passwordless sign-in: whether a login has the email
is never told (docs/sign-in.md#passwordless-sign-in). Off for the tenant: 404 ``ITEM_NOT_FOUND``.
"""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, lambda_entry, make_resolver, no_content
from customer_auth.api.observability import logger, metrics
from customer_auth.api.pacing import answer_floor
from customer_auth.api.params import ResponseFields
from customer_auth.domain.codes.mail import CodeOutcome
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import OtpRequest

app = make_resolver()

_METRIC = {
    CodeOutcome.SENT: "OtpSignInCodesSent",
    CodeOutcome.LIMITED: "OtpSignInRequestsLimited",
    CodeOutcome.UNMATCHED: "OtpSignInRequestsUnmatched",
}


@app.post(
    "/api/commerce/customer/authtickets/otp/request",
    **route_docs(
        "generateAndSendOtp",
        "Send a passwordless sign-in code to the login's email (answers the same whether or not one matches)",
        None,
        refusals=(400, 401, 403, 404, 503),
    ),
)
def request_code(
    body: Annotated[OtpRequest, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    request = current_request(app)
    with answer_floor():
        outcome = runtime.passwordless_service().request_code(request.caller, request.site_id, body)
    if outcome is CodeOutcome.LIMITED:
        logger.warning("passwordless sign-in code not sent: the login asked too often")
    metrics.add_metric(name=_METRIC[outcome], unit=MetricUnit.Count, value=1)
    return no_content()


lambda_handler = lambda_entry(app, requires=Behavior.TICKET_CREATE)
