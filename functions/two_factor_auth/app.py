"""POST /api/commerce/customer/authtickets/2fa/auth: trade the one-time code for the full ticket.

The limited ``accessToken`` of the waiting sign-in travels in ``x-vol-user-claims``; the body is
``{userId, otpCode}``. The right code trusts the device and region the sign-in came from.
"""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.metrics import MetricUnit

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, json_response, lambda_entry, make_resolver, user_claims
from customer_auth.api.observability import metrics
from customer_auth.api.params import ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import AuthTicket2FAInfo, CustomerAuthTicket

app = make_resolver()


@app.post(
    "/api/commerce/customer/authtickets/2fa/auth",
    **route_docs(
        "validate2FAAndCreateAuthTicket",
        "Complete a sign-in with its one-time code",
        CustomerAuthTicket,
        refusals=(400, 401, 403, 503),
    ),
)
def verify_code(
    body: Annotated[AuthTicket2FAInfo, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    request = current_request(app)
    ticket = runtime.two_factor_service().verify(
        request.caller, user_claims(app.current_event.headers), body.user_id, body.otp_code
    )
    metrics.add_metric(name="TwoFactorSignIns", unit=MetricUnit.Count, value=1)
    return json_response(ticket.to_wire(), response_fields, sensitive=True)


lambda_handler = lambda_entry(app, requires=Behavior.TICKET_CREATE)
