"""GET /api/commerce/customer/accounts/current: the signed-in shopper's own account.

The shopper is named by the opaque ``accessToken`` in ``x-vol-user-claims`` (beside the app's
token), or by the ``jwtAccessToken`` sent as ``Authorization: Bearer``; either way its session
must still be live, so a logged-out shopper is refused at once.
"""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from aws_lambda_powertools.event_handler import Response

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import (
    authorize,
    bearer_token,
    json_response,
    lambda_entry,
    make_resolver,
    site_header_of,
    tenant_header_of,
    user_claims,
)
from customer_auth.api.params import ResponseFields
from customer_auth.models.account import CustomerAccount

app = make_resolver()


@app.get(
    "/api/commerce/customer/accounts/current",
    **route_docs(
        "getCurrentAccount",
        "The signed-in shopper's own account",
        CustomerAccount,
        refusals=(400, 401, 403, 503),
    ),
)
def current_account(response_fields: ResponseFields = None) -> Response[str]:
    headers = app.current_event.headers
    access_token = user_claims(headers)
    # An opaque access token comes with the app's own token, which names the caller.
    caller = authorize(headers, None).caller if access_token else None
    account = runtime.ticket_service().current_account(
        caller, access_token, bearer_token(headers), tenant_header_of(headers), site_header_of(headers)
    )
    return json_response(account.to_wire(), response_fields)


lambda_handler = lambda_entry(app)
