"""GET /api/commerce/customer/accounts/{accountId}/loginstate: Kibo's LoginState of an account's login."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from aws_lambda_powertools.event_handler import Response

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, json_response, lambda_entry, make_resolver
from customer_auth.api.params import AccountId, ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import LoginState

app = make_resolver()


@app.get(
    "/api/commerce/customer/accounts/<accountId>/loginstate",
    **route_docs(
        "getLoginState",
        "A login's lock and failed-attempt state",
        LoginState,
        refusals=(400, 401, 403, 404, 503),
    ),
)
def login_state(accountId: AccountId, response_fields: ResponseFields = None) -> Response[str]:  # noqa: N803
    request = current_request(app)
    state = runtime.credential_service().login_state(request.caller, accountId)
    return json_response(state.to_wire(), response_fields)


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_READ)
