"""PUT /api/commerce/customer/accounts/{accountId}: replace an account's client-owned fields
(Kibo's UpdateAccount). A changed email or user name of an account with a login moves the login
with it, in the same transaction; a changed email is announced to the old address."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, json_response, lambda_entry, make_resolver
from customer_auth.api.params import AccountId, ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.account import CustomerAccount

app = make_resolver()


@app.put(
    "/api/commerce/customer/accounts/<accountId>",
    **route_docs(
        "updateAccount",
        "Update a customer account (its login's email and user name move with it)",
        CustomerAccount,
        refusals=(400, 401, 403, 404, 409, 503),
    ),
)
def update_account(
    accountId: AccountId,  # noqa: N803
    body: Annotated[CustomerAccount, Body()],
    response_fields: ResponseFields = None,
) -> Response[str]:
    request = current_request(app)
    account = runtime.account_admin_service().update(request.caller, request.site_id, accountId, body)
    return json_response(account.to_wire(), response_fields)


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_UPDATE)
