"""PUT /api/commerce/customer/authtickets/refresh: rotate a refresh token into a new ticket.

The token comes in the query string as Kibo's SDKs send it, or (recommended) in a JSON body.
"""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, json_response, lambda_entry, make_resolver
from customer_auth.api.params import OptionalAccountId, RefreshTokenQuery, ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import CustomerAuthTicket, RefreshTokenBody

app = make_resolver()


@app.put(
    "/api/commerce/customer/authtickets/refresh",
    **route_docs(
        "refreshUserAuthTicket",
        "Rotate a refresh token into a new ticket",
        CustomerAuthTicket,
        refusals=(400, 401, 403, 503),
    ),
)
def refresh(
    refresh_token: RefreshTokenQuery = None,
    account_id: Annotated[OptionalAccountId, Query(alias="accountId")] = None,
    body: Annotated[RefreshTokenBody | None, Body()] = None,
    response_fields: ResponseFields = None,
) -> Response[str]:
    request = current_request(app)
    token = (body.refresh_token if body else None) or refresh_token
    ticket = runtime.ticket_service().refresh(request.caller, token, account_id)
    return json_response(ticket.to_wire(), response_fields, sensitive=True)


lambda_handler = lambda_entry(app, requires=Behavior.TICKET_CREATE)
