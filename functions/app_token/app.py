"""POST /api/platform/applications/authtickets/oauth: an application's OAuth token (Kibo app auth)."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import json_response, lambda_entry, make_resolver
from customer_auth.api.params import ResponseFields
from customer_auth.models.auth import OAuthAccessTokenResponse, OauthAuthRequest

app = make_resolver()


@app.post(
    "/api/platform/applications/authtickets/oauth",
    **route_docs(
        "oauthAuthenticateApp",
        "An app token for client credentials or a refresh token",
        OAuthAccessTokenResponse,
        refusals=(400, 401, 503),
    ),
)
def app_token(
    body: Annotated[OauthAuthRequest, Body()], response_fields: ResponseFields = None
) -> Response[str]:
    tokens = runtime.app_auth_service().authenticate(
        body.client_id, body.client_secret, body.grant_type, body.refresh_token
    )
    ticket = OAuthAccessTokenResponse(
        access_token=tokens.access_token, expires_in=tokens.expires_in, refresh_token=tokens.refresh_token
    )
    return json_response(ticket.to_wire(), response_fields, sensitive=True)


lambda_handler = lambda_entry(app)
