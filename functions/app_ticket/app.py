"""POST /api/platform/applications/authtickets: Kibo's older app ticket, for an application id and
its shared secret (``AppAuthTicketsApi.authenticateApp``)."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import json_response, lambda_entry, make_resolver
from customer_auth.api.params import ResponseFields
from customer_auth.models.auth import AppAuthInfo, AuthTicket

app = make_resolver()


@app.post(
    "/api/platform/applications/authtickets",
    **route_docs(
        "authenticateApp",
        "An app ticket for an application id and its shared secret",
        AuthTicket,
        refusals=(400, 401, 503),
    ),
)
def app_ticket(body: Annotated[AppAuthInfo, Body()], response_fields: ResponseFields = None) -> Response[str]:
    tokens = runtime.app_auth_service().authenticate_app(body.application_id, body.shared_secret)
    return json_response(tokens.as_ticket().to_wire(), response_fields, sensitive=True)


lambda_handler = lambda_entry(app)
