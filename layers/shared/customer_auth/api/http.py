"""The resolver every function uses: validation, caller checks, correlation ids, error mapping."""

import base64
import binascii
import json
import re
import secrets
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import coldstart
from ..domain.apps.auth import caller_from_app_token
from ..domain.kernel.behaviors import Behavior
from ..domain.kernel.caller import Caller
from ..domain.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidParameter,
    RefreshTokenReused,
    Unauthenticated,
    Unavailable,
)
from . import runtime, snapstart
from .errors import (
    domain_error_response,
    error_response,
    route_refusal,
    unavailable_response,
    validation_error_response,
)
from .observability import logger, metrics, tracer
from .response_fields import parse_response_fields, project
from .routing import RouteTable

CORRELATION_HEADER = "x-vol-correlation"
APP_CLAIMS_HEADER = "x-vol-app-claims"
USER_CLAIMS_HEADER = "x-vol-user-claims"
"""Where a shopper's opaque ``accessToken`` travels, beside the app's token."""
_SAFE_CORRELATION = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_API_ID = re.compile(r"[a-z0-9]{1,64}")
"""An HTTP API id (ten lower-case letters and digits today)."""
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

BodyKind = Literal["object", "boolean", "unread"]
"""What a function's body must be: a JSON object, a bare boolean, or (the catch-all) anything, unread."""

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class RequestContext:
    """The proven caller: its tenant is the request's, its site the one the request acts in."""

    caller: Caller

    @property
    def site_id(self) -> int | None:
        return self.caller.site_id


def make_resolver(routes: RouteTable | None = None) -> APIGatewayHttpResolver:
    """An HTTP API resolver with request validation and Kibo-shaped errors. A request none of its
    routes serves gets 404, or, for a path ``routes`` (the whole API's) serves with other methods,
    405 naming them."""
    app = APIGatewayHttpResolver(enable_validation=True)

    def correlation_id() -> str:
        return str(app.context.get("correlation_id", ""))

    @app.exception_handler(Exception)
    def _failed(error: Exception) -> Response[str]:
        return _refusal(error, correlation_id())

    @app.not_found
    def _no_route(_: NotFoundError) -> Response[str]:
        allowed = routes.allowed_methods(app.current_event.path) if routes is not None else []
        return route_refusal(allowed, correlation_id())

    return app


def current_request(app: APIGatewayHttpResolver) -> RequestContext:
    """The caller that ``lambda_entry(app, requires=...)`` authorized for this request."""
    request = app.context.get("request")
    if not isinstance(request, RequestContext):
        raise RuntimeError("this route's function is not declared with lambda_entry(app, requires=...)")
    return request


def _refusal(error: Exception, correlation_id: str) -> Response[str]:
    """The one mapping from a failure to its response, log line and metric."""
    if isinstance(error, RequestValidationError):
        return validation_error_response(error, correlation_id)
    if isinstance(error, DomainError):
        if isinstance(error, Unauthenticated | Forbidden):
            metrics.add_metric(name="RejectedCallers", unit=MetricUnit.Count, value=1)
        if isinstance(error, Conflict):
            metrics.add_metric(name="Conflicts", unit=MetricUnit.Count, value=1)
        if isinstance(error, RefreshTokenReused):
            # A stolen token, or a client that lost a reply: the stack alarms on a spike of these.
            metrics.add_metric(name="RefreshTokenReuse", unit=MetricUnit.Count, value=1)
        logger.info("request refused", extra={"error": type(error).__name__, "field": error.field})
        return domain_error_response(error, correlation_id)
    if isinstance(error, Unavailable):
        logger.warning("dependency unavailable", extra={"reason": str(error)})
        return unavailable_response(correlation_id)
    # docs/contract.md §8: no stack trace (nor the exception's message, which may quote input) in a
    # log line; the type and the innermost frame are enough to find the bug.
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f"{frame.filename}:{frame.lineno} in {frame.name}" if frame else "unknown"
    logger.error("unexpected error", extra={"error": type(error).__name__, "where": where})
    return error_response(500, "INTERNAL_ERROR", "An unexpected error occurred.", correlation_id)


def bearer_token(headers: dict[str, str]) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def user_claims(headers: dict[str, str]) -> str | None:
    """The shopper's ``accessToken`` from ``x-vol-user-claims``, if one was sent."""
    return headers.get(USER_CLAIMS_HEADER, "").strip() or None


def authorize(headers: dict[str, str], behavior: Behavior | None) -> RequestContext:
    """The request's caller, checked against its app token, tenant/site headers and ``behavior``
    (``None``: any valid app token of the tenant)."""
    # Kibo's SDKs send the app token as Authorization: Bearer, or (configured with appClaims and
    # userClaims, as a shopper's 2FA calls need) in x-vol-app-claims.
    token = bearer_token(headers) or headers.get(APP_CLAIMS_HEADER, "").strip() or None
    if token is None:
        raise Unauthenticated("An application token is required (Authorization: Bearer).")
    caller = caller_from_app_token(runtime.jwt_codec(), token, runtime.now_clock())
    tenant_header = tenant_header_of(headers)
    if tenant_header is not None and tenant_header != caller.tenant_id:
        raise Forbidden("The application token is not valid for this tenant.")
    site_header = site_header_of(headers)
    if site_header is not None and (
        site_header not in caller.tenant_sites or caller.site_id not in (None, site_header)
    ):
        raise Forbidden("The application token is not valid for this site.")
    if behavior is not None:
        caller.require(behavior)
    # From here on the caller's site is the request's: every service that acts on a session
    # checks it against the session's own (Caller.acts_on_site_of).
    site_id = site_header if site_header is not None else caller.site_id
    return RequestContext(replace(caller, site_id=site_id))


def tenant_header_of(headers: dict[str, str]) -> int | None:
    return _int_header(headers, "x-vol-tenant")


def site_header_of(headers: dict[str, str]) -> int | None:
    return _int_header(headers, "x-vol-site")


def _body_problem(event: dict[str, Any], body_kind: BodyKind) -> str | None:
    """Why a request body is refused before it is parsed, or ``None``: Kibo's API takes JSON
    objects (powertools would read ``[{...}]`` as its first element), and a bare boolean where
    its model is one (Set-Login-Locked)."""
    body = event.get("body")
    if not body or body_kind == "unread":
        return None
    content_type = (event.get("headers") or {}).get("content-type", "").split(";")[0].strip().lower()
    if content_type not in {"", "application/json"}:
        return "Content-Type must be application/json."
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "The request body is not UTF-8 JSON."
    if body_kind == "boolean":
        return None if str(body).strip() in {"true", "false"} else "The request body must be true or false."
    if not str(body).lstrip().startswith("{"):
        return "The request body must be a JSON object."
    return _unparseable(str(body))


def _unparseable(body: str) -> str | None:
    """Why a body that looks like an object cannot be read, or ``None``. Parsed here, before any
    work, because what the parser raises beyond a syntax error (a RecursionError on deep nesting,
    the ValueError of Python's 4,300-digit int limit) would otherwise surface as a 500. A body
    that passes parses the same way when the resolver reads it again."""
    try:
        parsed = json.loads(body)
    except RecursionError:
        return _TOO_DEEP
    except ValueError:  # JSONDecodeError, and an integer past the int-string limit
        return "The request body is not valid JSON."
    return _TOO_DEEP if _deeper_than(parsed, MAX_BODY_DEPTH) else None


MAX_BODY_DEPTH = 32
"""Kibo's deepest request model nests about 5 levels; a limit of our own, rather than the
interpreter's recursion limit, decides where a body is refused."""
_TOO_DEEP = f"The request body is nested more than {MAX_BODY_DEPTH} levels deep."


def _deeper_than(value: Any, limit: int) -> bool:
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                pending.append((child, depth + 1))
    return False


_ID_HEADER = re.compile(r"[0-9]{1,10}")
"""ASCII digits only: ``str.isdigit`` also accepts ``²`` and other digits ``int`` refuses."""


def _int_header(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None or value == "":
        return None
    if not _ID_HEADER.fullmatch(value):
        raise InvalidParameter(f"{name} must be an integer.", field=name)
    return int(value)


def json_response(
    body: Any, response_fields: str | None = None, *, sensitive: bool = False, status: int = 200
) -> Response[str]:
    """A JSON response reduced by ``responseFields``; ``sensitive`` ones are never cached."""
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(project(body, parse_response_fields(response_fields)), separators=(",", ":")),
        headers=NO_STORE if sensitive else None,
    )


def no_content(status: int = 204) -> Response[str]:
    """An empty answer: 204, or 200 where Kibo answers so (Reset-Password)."""
    return Response(status_code=status, content_type="application/json", body="")


def lambda_entry(
    app: APIGatewayHttpResolver, requires: Behavior | None = None, body_kind: BodyKind = "object"
) -> LambdaHandler:
    """The Lambda handler for a resolver: correlation id, logs, metrics and traces around it.

    With ``requires``, the caller is authorized before anything in the request is parsed, so an
    unauthenticated caller learns nothing from validation; routes read it with ``current_request``.
    """

    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if runtime.api_id is None:
            runtime.api_id = _api_id_of(event)
        headers: dict[str, str] = event.get("headers") or {}
        incoming = headers.get(CORRELATION_HEADER, "")
        request_id = (event.get("requestContext") or {}).get("requestId") or secrets.token_hex(16)
        correlation_id = incoming if _SAFE_CORRELATION.fullmatch(incoming) else request_id
        logger.set_correlation_id(correlation_id)
        try:
            request = authorize(headers, requires) if requires is not None else None
            problem = _body_problem(event, body_kind)
            if problem is not None:
                raise InvalidParameter(problem, field="body")
        except Exception as error:  # mapped to its response like any failure inside the resolver
            result = _proxy_result(_refusal(error, correlation_id))
        else:
            app.append_context(correlation_id=correlation_id, request=request)  # type: ignore[no-untyped-call]
            result = app.resolve(event, context)
        result.setdefault("headers", {})[CORRELATION_HEADER] = correlation_id
        return result

    snapstart.register(app)  # only in a SnapStart version's init
    traced = tracer.capture_lambda_handler(handler, capture_response=False) if tracer else handler
    entry: LambdaHandler = logger.inject_lambda_context(
        metrics.log_metrics(traced), log_event=False, clear_state=True
    )
    coldstart.init_done()  # the function is built: freeze its heap and let the collector run again
    return entry


def _api_id_of(event: dict[str, Any]) -> str | None:
    """The invoking HTTP API's id (API Gateway sets it; a client cannot)."""
    api_id = (event.get("requestContext") or {}).get("apiId")
    return api_id if isinstance(api_id, str) and _API_ID.fullmatch(api_id) else None


def _proxy_result(response: Response[str]) -> dict[str, Any]:
    """An API Gateway proxy result for a response made before the resolver ran."""
    return {
        "statusCode": response.status_code,
        "headers": dict(response.headers),
        "body": response.body,
        "isBase64Encoded": False,
    }
