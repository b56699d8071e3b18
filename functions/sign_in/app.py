"""POST /api/commerce/customer/authtickets: sign a shopper in with username (or email) and password."""

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
from customer_auth.api.params import ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import CustomerAuthTicket, CustomerUserAuthInfo

app = make_resolver()


@app.post(
    "/api/commerce/customer/authtickets",
    **route_docs(
        "createUserAuthTicket",
        "Sign a shopper in with username (or email) and password",
        CustomerAuthTicket,
        refusals=(400, 401, 403, 503),
    ),
)
def sign_in(
    body: Annotated[CustomerUserAuthInfo, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    request = current_request(app)
    ticket = runtime.sign_in_service().sign_in(request.caller, request.site_id, body)
    metrics.add_metric(name="SignIns", unit=MetricUnit.Count, value=1)
    return json_response(ticket.to_wire(), response_fields, sensitive=True)


lambda_handler = lambda_entry(app, requires=Behavior.TICKET_CREATE)
