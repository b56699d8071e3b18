"""POST /api/commerce/customer/accounts: create a customer account (Kibo's AddAccount)."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, json_response, lambda_entry, make_resolver
from customer_auth.api.params import ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.account import CustomerAccount

app = make_resolver()


@app.post(
    "/api/commerce/customer/accounts",
    **route_docs("addAccount", "Create a customer account", CustomerAccount, refusals=(400, 401, 403, 503)),
)
def add_account(
    body: Annotated[CustomerAccount, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    request = current_request(app)
    account = runtime.account_service().add(request.caller, body)
    return json_response(account.to_wire(), response_fields)


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_CREATE)
