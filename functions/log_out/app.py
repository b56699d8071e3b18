"""DELETE /api/commerce/customer/authtickets: end a session (scope=local) or all of the login's (global)."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, lambda_entry, make_resolver, no_content
from customer_auth.api.params import RefreshTokenQuery, ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.sessions.tickets import LogoutScope
from customer_auth.models.auth import RefreshTokenBody

app = make_resolver()


@app.delete(
    "/api/commerce/customer/authtickets",
    **route_docs(
        "deleteUserAuthTicket",
        "Log out: end the session, or every session of the login",
        None,
        refusals=(400, 401, 403, 503),
    ),
)
def log_out(
    refresh_token: RefreshTokenQuery = None,
    scope: Annotated[LogoutScope, Query(description="local: this session; global: every session")] = (
        LogoutScope.LOCAL
    ),
    body: Annotated[RefreshTokenBody | None, Body()] = None,
    response_fields: ResponseFields = None,
) -> Response[str]:
    request = current_request(app)
    token = (body.refresh_token if body else None) or refresh_token
    runtime.ticket_service().log_out(request.caller, token, scope)
    return no_content()


lambda_handler = lambda_entry(app, requires=Behavior.TICKET_CREATE)
