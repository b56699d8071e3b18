"""POST /api/commerce/customer/accounts/{accountId}/Change-Password: replace a login's password."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, lambda_entry, make_resolver, no_content
from customer_auth.api.params import AccountId, ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import CustomerPasswordInfo

app = make_resolver()


@app.post(
    "/api/commerce/customer/accounts/<accountId>/Change-Password",
    **route_docs(
        "changePassword",
        "Change a login's password; every session ends",
        None,
        refusals=(400, 401, 403, 404, 503),
    ),
)
def change_password(
    accountId: AccountId,  # noqa: N803
    body: Annotated[CustomerPasswordInfo, Body()],
    unlock_account: Annotated[bool, Query(alias="unlockAccount")] = False,
    response_fields: ResponseFields = None,
) -> Response[str]:
    request = current_request(app)
    runtime.credential_service().change_password(request.caller, accountId, body, unlock=unlock_account)
    return no_content()


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_UPDATE)
