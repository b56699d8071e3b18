"""OpenAPI documentation of a route: its Kibo operation id, success body and the refusals it makes."""

from typing import Any

from ..models.errors import ApiError

_REFUSALS = {
    400: "MISSING_OR_INVALID_PARAMETER: malformed JSON, a wrong type or a failed rule (names the parameter)",
    401: "UNAUTHORIZED, INVALID_CREDENTIALS or INVALID_TOKEN: bad token, failed sign-in, bad refresh token",
    403: "FORBIDDEN: a missing behavior, or a tenant or site the caller may not use",
    404: "ITEM_NOT_FOUND: no such account (or login) in the caller's tenant",
    409: "VALIDATION_CONFLICT: the login, email or username exists",
    429: "TOO_MANY_REQUESTS: asked again too soon (Retry-After says how many seconds to wait)",
    503: "SERVICE_UNAVAILABLE: a dependency failed after retries (Retry-After); nothing was written",
}

EMPTY = "Done; no body"

CALLER_REFUSALS = (400, 401, 403, 503)
"""What any route that checks an app token and reads DynamoDB may answer."""


def route_docs(
    operation_id: str,
    summary: str,
    ok: type | None,
    *,
    refusals: tuple[int, ...] = CALLER_REFUSALS,
    empty_status: int = 204,
) -> dict[str, Any]:
    """Keyword arguments for a route decorator: ``ok`` is the 200 body model, ``None`` for an empty
    answer with ``empty_status`` (204, or 200 where Kibo answers so)."""
    responses: dict[int, Any] = (
        {200: {"description": "Success", "content": {"application/json": {"model": ok}}}}
        if ok is not None
        else {empty_status: {"description": EMPTY}}
    )
    for status in refusals:
        responses[status] = {
            "description": _REFUSALS[status],
            "content": {"application/json": {"model": ApiError}},
        }
    return {"operation_id": operation_id, "summary": summary, "responses": responses}
