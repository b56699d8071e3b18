"""POST /api/commerce/customer/accounts/Update-Forgotten-Password: a new password with the
confirmation code Reset-Password sent; every session of the login ends."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, lambda_entry, make_resolver, no_content
from customer_auth.api.pacing import answer_floor
from customer_auth.api.params import ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import ConfirmationInfo

app = make_resolver()


@app.post(
    "/api/commerce/customer/accounts/Update-Forgotten-Password",
    **route_docs(
        "updateForgottenPassword",
        "Set a new password with a confirmation code; every session ends",
        None,
        refusals=(400, 401, 403, 503),
        empty_status=200,
    ),
)
def update_forgotten_password(
    body: Annotated[ConfirmationInfo, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    request = current_request(app)
    with answer_floor():
        runtime.recovery_service().update_forgotten_password(request.caller, request.site_id, body)
    return no_content(200)


lambda_handler = lambda_entry(app, requires=Behavior.PASSWORD_RESET)
