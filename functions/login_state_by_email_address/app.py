"""POST /api/commerce/customer/accounts/loginstatebyemailaddress?emailAddress=: Kibo's LoginState
of the login with that email address."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, json_response, lambda_entry, make_resolver
from customer_auth.api.params import ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import LoginState
from customer_auth.models.base import NAME_MAX

app = make_resolver()


@app.post(
    "/api/commerce/customer/accounts/loginstatebyemailaddress",
    **route_docs(
        "getLoginStateByEmailAddress",
        "A login's lock and failed-attempt state, found by its email address",
        LoginState,
        refusals=(400, 401, 403, 404, 503),
    ),
)
def login_state(
    name: Annotated[str, Query(alias="emailAddress", min_length=1, max_length=NAME_MAX)],
    response_fields: ResponseFields = None,
) -> Response[str]:
    request = current_request(app)
    state = runtime.credential_service().login_state_by_name(request.caller, name, email=True)
    return json_response(state.to_wire(), response_fields)


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_READ)
