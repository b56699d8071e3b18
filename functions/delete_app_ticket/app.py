"""DELETE /api/platform/applications/authtickets/{refreshToken}: an app's refresh token stops
working (``AppAuthTicketsApi.deleteAppAuthTicket``)."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import lambda_entry, make_resolver, no_content

app = make_resolver()

RefreshToken = Annotated[
    str,
    Path(
        max_length=512,
        description="The app ticket's refresh token (Kibo's SDK puts it here; it is never logged)",
    ),
]


@app.delete(
    "/api/platform/applications/authtickets/<refreshToken>",
    **route_docs(
        "deleteAppAuthTicket",
        "End an app ticket's refresh token (200 whether or not it was live)",
        None,
        refusals=(400, 503),
        empty_status=200,
    ),
)
def delete_app_ticket(refreshToken: RefreshToken) -> Response[str]:  # noqa: N803
    runtime.app_ticket_deletion().delete(refreshToken)
    return no_content(200)


lambda_handler = lambda_entry(app)
