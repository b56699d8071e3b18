"""POST /api/commerce/customer/accounts/Reset-Password: send a login's confirmation code.

Always 200 with an empty body: whether a login matched is never told (docs/contract.md §9).
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
from customer_auth.models.auth import CustomerResetPasswordInfo

app = make_resolver()

_METRIC = {
    CodeOutcome.SENT: "PasswordResetCodesSent",
    CodeOutcome.LIMITED: "PasswordResetsLimited",
    CodeOutcome.UNMATCHED: "PasswordResetsUnmatched",
}


@app.post(
    "/api/commerce/customer/accounts/Reset-Password",
    **route_docs(
        "resetPassword",
        "Send a confirmation code to the login's email (answers the same whether or not one matches)",
        None,
        refusals=(400, 401, 403, 503),
        empty_status=200,
    ),
)
def reset_password(
    body: Annotated[CustomerResetPasswordInfo, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    request = current_request(app)
    with answer_floor():
        outcome = runtime.recovery_service().request_reset(request.caller, request.site_id, body)
    if outcome is CodeOutcome.LIMITED:
        logger.warning("password reset not sent: the login asked too often")
    metrics.add_metric(name=_METRIC[outcome], unit=MetricUnit.Count, value=1)
    return no_content(200)


lambda_handler = lambda_entry(app, requires=Behavior.PASSWORD_RESET)
