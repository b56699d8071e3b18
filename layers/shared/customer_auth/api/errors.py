"""The one place where failures become HTTP responses in Kibo's ``ApiError`` shape."""

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from ..domain.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidCredentials,
    InvalidParameter,
    InvalidToken,
    NotFound,
    PasswordChangeRequired,
    TooManyRequests,
    Unauthenticated,
)

APPLICATION_NAME = "customer-auth"
RETRY_AFTER_SECONDS = "1"

_STATUS: list[tuple[type[DomainError], int, str]] = [
    (InvalidParameter, 400, "MISSING_OR_INVALID_PARAMETER"),
    (Unauthenticated, 401, "UNAUTHORIZED"),
    (InvalidCredentials, 401, "INVALID_CREDENTIALS"),
    (InvalidToken, 401, "INVALID_TOKEN"),
    (PasswordChangeRequired, 403, "PASSWORD_CHANGE_REQUIRED"),
    (Forbidden, 403, "FORBIDDEN"),
    (NotFound, 404, "ITEM_NOT_FOUND"),
    (Conflict, 409, "VALIDATION_CONFLICT"),
    (TooManyRequests, 429, "TOO_MANY_REQUESTS"),
]


def error_body(error_code: str, message: str, correlation_id: str, field: str | None = None) -> str:
    """Kibo's ``ApiError`` JSON."""
    return json.dumps(
        {
            "message": message,
            "applicationName": APPLICATION_NAME,
            "errorCode": error_code,
            "additionalErrorData": [{"name": "field", "value": field}] if field else [],
            "items": [],
            "correlationId": correlation_id,
        }
    )


def error_response(
    status: int,
    error_code: str,
    message: str,
    correlation_id: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=error_body(error_code, message, correlation_id, field),
        headers={"x-vol-correlation": correlation_id, **(headers or {})},
    )


def route_refusal(allowed_methods: list[str], correlation_id: str) -> Response[str]:
    """What a request no route serves gets: 404 when no operation has its path, else 405 with the
    methods the path serves in ``Allow`` and in the message."""
    if not allowed_methods:
        return error_response(404, "ITEM_NOT_FOUND", "No such operation.", correlation_id)
    methods = ", ".join(allowed_methods)
    return error_response(
        405,
        "METHOD_NOT_ALLOWED",
        f"Method not allowed; this path serves {methods}.",
        correlation_id,
        headers={"Allow": methods},
    )


def domain_error_response(error: DomainError, correlation_id: str) -> Response[str]:
    for kind, status, code in _STATUS:
        if isinstance(error, kind):
            headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests) else None
            return error_response(status, code, error.message, correlation_id, error.field, headers)
    return error_response(400, "MISSING_OR_INVALID_PARAMETER", error.message, correlation_id, error.field)


def validation_error_response(error: RequestValidationError, correlation_id: str) -> Response[str]:
    """400 naming the first offending parameter; the offending value is never echoed."""
    first: dict[str, Any] = (error.errors() or [{}])[0]
    if first.get("type") == "json_invalid":
        return error_response(
            400, "MISSING_OR_INVALID_PARAMETER", "The request body is not valid JSON.", correlation_id, "body"
        )
    location = [str(part) for part in first.get("loc", ()) if not isinstance(part, int)]
    name = location[-1] if location else "body"
    if location[:1] == ["body"] and len(location) > 1:
        name = ".".join(location[1:])
    message = f"{name}: {first.get('msg', 'is not valid')}."
    return error_response(400, "MISSING_OR_INVALID_PARAMETER", message, correlation_id, name)


def unavailable_response(correlation_id: str) -> Response[str]:
    return error_response(
        503,
        "SERVICE_UNAVAILABLE",
        "The service is briefly unavailable; retry shortly.",
        correlation_id,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )
