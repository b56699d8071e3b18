"""PUT /api/platform/applications/authtickets/refresh-ticket: a new older-style app ticket for its
refresh token, which is spent (``AppAuthTicketsApi.refreshAppAuthTicket``)."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import json_response, lambda_entry, make_resolver
from customer_auth.api.params import ResponseFields
from customer_auth.models.auth import AuthTicket, RefreshTokenBody

app = make_resolver()


@app.put(
    "/api/platform/applications/authtickets/refresh-ticket",
    **route_docs(
        "refreshAppAuthTicket",
        "Renew an app ticket with its refresh token",
        AuthTicket,
        refusals=(400, 401, 503),
    ),
)
def refresh_app_ticket(
    body: Annotated[RefreshTokenBody, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    tokens = runtime.app_auth_service().refresh_app_ticket(body.refresh_token)
    return json_response(tokens.as_ticket().to_wire(), response_fields, sensitive=True)


lambda_handler = lambda_entry(app)
