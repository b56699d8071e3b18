"""GET /api/commerce/customer/accounts/{accountId}: read a customer account (Kibo's GetAccount)."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from aws_lambda_powertools.event_handler import Response

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, json_response, lambda_entry, make_resolver
from customer_auth.api.params import AccountId, ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.account import CustomerAccount

app = make_resolver()


@app.get(
    "/api/commerce/customer/accounts/<accountId>",
    **route_docs(
        "getAccount", "Read a customer account", CustomerAccount, refusals=(400, 401, 403, 404, 503)
    ),
)
def get_account(accountId: AccountId, response_fields: ResponseFields = None) -> Response[str]:  # noqa: N803
    request = current_request(app)
    account = runtime.account_service().get(request.caller, accountId)
    return json_response(account.to_wire(), response_fields)


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_READ)
