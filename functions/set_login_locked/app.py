"""POST /api/commerce/customer/accounts/{accountId}/Set-Login-Locked: lock (true) or unlock (false)."""

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
    "/api/commerce/customer/accounts/<accountId>/Set-Login-Locked",
    **route_docs(
        "setLoginLocked",
        "Lock (ending every session) or unlock a login",
        None,
        refusals=(400, 401, 403, 404, 503),
    ),
)
def set_login_locked(
    accountId: AccountId,  # noqa: N803
    locked: Annotated[bool, Body(description="true locks the login (ending its sessions); false unlocks")],
    response_fields: ResponseFields = None,
) -> Response[str]:
    request = current_request(app)
    runtime.credential_service().set_locked(request.caller, accountId, locked)
    return no_content()


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_UPDATE, body_kind="boolean")
