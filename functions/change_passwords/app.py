"""POST /api/commerce/customer/accounts/Change-Passwords: up to 100 logins' passwords (or imported
hashes) set in one call, each on its own; the answer says, item by item, which were changed."""

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
from customer_auth.models.auth import AccountPasswordInfoCollection, ChangePasswordResultCollection

app = make_resolver()


@app.post(
    "/api/commerce/customer/accounts/Change-Passwords",
    **route_docs(
        "changePasswords",
        "Set up to 100 logins' passwords or imported hashes, each on its own; their sessions end",
        ChangePasswordResultCollection,
        refusals=(400, 401, 403, 503),
    ),
)
def change_passwords(
    body: Annotated[AccountPasswordInfoCollection, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    request = current_request(app)
    context = app.lambda_context
    results = runtime.bulk_password_service().change_passwords(
        request.caller, body.items or [], lambda: context.get_remaining_time_in_millis() / 1000
    )
    return json_response(results.to_wire(), response_fields)


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_UPDATE)
