"""POST /api/commerce/customer/authtickets/otp/auth: trade a passwordless sign-in code for a ticket.

Body ``{email, otpCode, fingerprint, region}``. The right code, once and in time, gives the full
ticket and trusts the device; anything else is one 401 ``INVALID_CREDENTIALS``. Off for the
tenant: 404 ``ITEM_NOT_FOUND``.
"""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, json_response, lambda_entry, make_resolver
from customer_auth.api.observability import metrics
from customer_auth.api.pacing import answer_floor
from customer_auth.api.params import ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import AuthTicketOtpInfo, CustomerAuthTicket

app = make_resolver()


@app.post(
    "/api/commerce/customer/authtickets/otp/auth",
    **route_docs(
        "validateOtpAndCreateAuthTicket",
        "Sign a shopper in with the code generateAndSendOtp sent",
        CustomerAuthTicket,
        refusals=(400, 401, 403, 404, 503),
    ),
)
def sign_in_with_code(
    body: Annotated[AuthTicketOtpInfo, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    request = current_request(app)
    with answer_floor():
        ticket = runtime.passwordless_service().sign_in(request.caller, request.site_id, body)
    metrics.add_metric(name="OtpSignIns", unit=MetricUnit.Count, value=1)
    return json_response(ticket.to_wire(), response_fields, sensitive=True)


lambda_handler = lambda_entry(app, requires=Behavior.TICKET_CREATE)
