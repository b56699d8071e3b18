"""DELETE /api/commerce/customer/accounts/{accountId}: erase an account with its login (Kibo's
DeleteAccount). Every session ends at once; the email and user name are free again."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from aws_lambda_powertools.event_handler import Response

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, lambda_entry, make_resolver, no_content
from customer_auth.api.params import AccountId
from customer_auth.domain.kernel.behaviors import Behavior

app = make_resolver()


@app.delete(
    "/api/commerce/customer/accounts/<accountId>",
    **route_docs(
        "deleteAccount",
        "Delete an account with its login, sessions, codes and identifier reservations",
        None,
        refusals=(400, 401, 403, 404, 503),
    ),
)
def delete_account(accountId: AccountId) -> Response[str]:  # noqa: N803
    request = current_request(app)
    runtime.account_admin_service().delete(request.caller, accountId)
    return no_content()


lambda_handler = lambda_entry(app, requires=Behavior.ACCOUNT_DELETE)
