"""POST /api/commerce/customer/authtickets/2fa/request: send a waiting session its one-time code.

The shopper is named by the limited ``accessToken`` of a sign-in that answered ``requires2FA``
(in ``x-vol-user-claims``). The code goes to the tenant's mailer through the outbox.
"""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.metrics import MetricUnit

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, lambda_entry, make_resolver, no_content, user_claims
from customer_auth.api.observability import metrics
from customer_auth.api.params import ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior

app = make_resolver()


@app.post(
    "/api/commerce/customer/authtickets/2fa/request",
    **route_docs(
        "generateAndSend2faOtp",
        "Send the one-time code of a sign-in that requires 2FA",
        None,
        refusals=(400, 401, 403, 429, 503),
    ),
)
def request_code(response_fields: ResponseFields = None) -> Response[str]:
    request = current_request(app)
    runtime.two_factor_service().request_code(request.caller, user_claims(app.current_event.headers))
    metrics.add_metric(name="TwoFactorCodesSent", unit=MetricUnit.Count, value=1)
    return no_content()


lambda_handler = lambda_entry(app, requires=Behavior.TICKET_CREATE)
