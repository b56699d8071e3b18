"""POST /api/commerce/customer/accounts/{accountId}/Set-Password-Change-Required: while true, the
right password gets 403 PASSWORD_CHANGE_REQUIRED at sign-in until the password is changed."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, lambda_entry, make_resolver, no_content
from customer_auth.api.params import AccountId, ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior

app = make_resolver()


@app.post(
    "/api/commerce/customer/accounts/<accountId>/Set-Password-Change-Required",
    **route_docs(
        "setPasswordChangeRequired",
        "Require (true) or stop requiring (false) a password change before the next sign-in",
        None,
        refusals=(400, 401, 403, 404, 503),
    ),
)
def set_password_change_required(
    accountId: AccountId,  # noqa: N803
    required: Annotated[bool, Body(description="true: sign-in is refused until the password changes")],
    response_fields: ResponseFields = None,
) -> Response[str]:
    request = current_request(app)
    runtime.credential_service().set_password_change_required(request.caller, accountId, required)
    return no_content()


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_UPDATE, body_kind="boolean")
