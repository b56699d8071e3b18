"""API Gateway HTTP API (payload format 2.0) events, as AWS builds them for a Lambda proxy."""

import base64
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from ..sam_template import Route


def specificity(route: Route) -> tuple[bool, int, int]:
    """Sort key: literal paths, then parameterised ones, then greedy ``{proxy+}`` catch-alls, as
    API Gateway matches them."""
    return ("+}" in route.path, route.path.count("{"), -len(route.path))


def http_api_event(
    route: Route,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    source_ip: str = "127.0.0.1",
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    merged: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        lower = name.lower()
        if lower == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        # HTTP API joins repeated headers with commas.
        merged[lower] = f"{merged[lower]},{value}" if lower in merged else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    now = datetime.now(UTC)
    text_body: str | None
    encoded = False
    if not body:
        text_body = None
    else:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, encoded = base64.b64encode(body).decode("ascii"), True
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": merged,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": merged.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": merged.get("user-agent", ""),
            },
            "requestId": secrets.token_hex(8) + "=",
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = {k: unquote(v) for k, v in path_parameters.items()}
    if text_body is not None:
        event["body"] = text_body
    return event


SAMPLE_PLACEHOLDERS = {
    "<accessToken of a CustomerAuthTicket>": "accessToken",
    "<accessToken of a CustomerAuthTicket that requires2FA>": "accessToken",
    "<refreshToken of a CustomerAuthTicket>": "refreshToken",
    "<userId of a CustomerAuthTicket>": "userId",
    "<otpCode from the tenant's mailer>": "otpCode",
    "<confirmationCode from the tenant's mailer>": "confirmationCode",
    "<refreshToken of an app AuthTicket>": "appRefreshToken",
}
"""What the samples in events/ hold in place of a shopper's ticket (or a mailed code, or an app
ticket's refresh token), and the field of the ticket each stands for."""


def filled_sample(
    event: dict[str, Any],
    *,
    tenant_id: int,
    app_token: Callable[[], str],
    client: tuple[str, str],
    account_id: int | None = None,
    ticket: Mapping[str, Any] | None = None,
    site_id: int | None = None,
) -> dict[str, Any]:
    """An events/ sample made real, in place: a fresh app token, the tenant and account in its
    path, a shopper's ``ticket`` (tokens, user id, mailed code, an app ticket's refresh token) in
    place of its placeholders, and the app client's id and secret in an oauth or app-ticket body.
    With ``site_id``, the tenant and site headers too (else the sample's own stay)."""
    headers = event["headers"]
    if site_id is not None:
        headers["x-vol-tenant"], headers["x-vol-site"] = str(tenant_id), str(site_id)
    if "authorization" in headers:
        headers["authorization"] = f"Bearer {app_token()}"
    parameters = event.get("pathParameters", {})
    for name, value in (("accountId", account_id), ("tenantId", tenant_id)):
        if value is not None and name in parameters:
            old = parameters[name]
            parameters[name] = str(value)
            event["rawPath"] = event["rawPath"].replace(old, str(value))
            event["requestContext"]["http"]["path"] = event["rawPath"]
    real = {p: str(ticket[f]) for p, f in SAMPLE_PLACEHOLDERS.items() if ticket and ticket.get(f)}
    for placeholder, text in real.items():
        for header, held in headers.items():
            headers[header] = held.replace(placeholder, text)
        if event.get("body"):
            event["body"] = event["body"].replace(placeholder, text)
        for name, held in parameters.items():  # Kibo puts an app ticket's refresh token in a path
            parameters[name] = held.replace(placeholder, text)
        event["rawPath"] = event["rawPath"].replace(placeholder, text)
        event["requestContext"]["http"]["path"] = event["rawPath"]
    if event["routeKey"].endswith("/oauth"):
        body = json.loads(event["body"])
        body["client_id"], body["client_secret"] = client
        event["body"] = json.dumps(body)
    if event["routeKey"] == "POST /api/platform/applications/authtickets":
        body = json.loads(event["body"])
        body["applicationId"], body["sharedSecret"] = client
        event["body"] = json.dumps(body)
    return event
