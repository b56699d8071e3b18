"""GET /api/commerce/customer/authtickets/anonymousshopper: a ticket for a visitor not signed in.

The ticket has no ``customerAccount``; its ``jwtAccessToken`` says ``anon: "1"``, and its refresh
token rotates like a signed-in shopper's (docs/contract.md §9).
"""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from aws_lambda_powertools.event_handler import Response

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import current_request, json_response, lambda_entry, make_resolver
from customer_auth.api.params import ResponseFields
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.models.auth import CustomerAuthTicket

app = make_resolver()


@app.get(
    "/api/commerce/customer/authtickets/anonymousshopper",
    **route_docs(
        "createAnonymousShopperAuthTicket",
        "A ticket for an anonymous shopper (a visitor not signed in)",
        CustomerAuthTicket,
        refusals=(400, 401, 403, 503),
    ),
)
def anonymous_shopper(response_fields: ResponseFields = None) -> Response[str]:
    request = current_request(app)
    ticket = runtime.ticket_service().anonymous_ticket(request.caller, request.site_id)
    return json_response(ticket.to_wire(), response_fields, sensitive=True)


lambda_handler = lambda_entry(app, requires=Behavior.TICKET_CREATE)
