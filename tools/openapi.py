"""``python -m tools.openapi``: one OpenAPI document for the whole API, generated from the code.

Each function of template.yaml documents its own routes: powertools builds a document from the
function's resolver (route_docs gives each route its operation id, success body and refusals), and
powertools' ``OpenAPIMerge`` joins them. This module adds what no single function knows: one name
per component schema, the headers every response carries, the callers' credentials, the catch-all
404, and the public key set's body. It removes powertools' 422 (the service answers a request that
fails validation with 400 ``MISSING_OR_INVALID_PARAMETER``).

The result is committed as functions/api_docs/openapi.json, which ApiDocsFunction serves at
``GET /api/docs/openapi.json``. ``--check`` exits 1 when that file differs from the code's document.
"""

import argparse
import copy
import hashlib
import json
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge
from aws_lambda_powertools.event_handler.openapi.models import OpenAPI, Server

from customer_auth.api.docs import EMPTY

from . import sam_template
from .local_api.router import Router

DOCUMENT = sam_template.ROOT / "functions" / "api_docs" / "openapi.json"
SCHEMAS = "#/components/schemas/"
ANY_METHOD = "x-amazon-apigateway-any-method"
"""API Gateway's OpenAPI extension for a route of any method."""
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", ANY_METHOD)
CATCH_ALL = "NotFoundFunction"
"""Serves ``ANY /{proxy+}``: documented below as API Gateway documents such a route."""

PUBLIC = {
    "AppTokenFunction",
    "AppTicketFunction",
    "RefreshAppTicketFunction",
    "DeleteAppTicketFunction",
    "JwksFunction",
    "ApiDocsFunction",
    CATCH_ALL,
}
"""Functions that take no app token (the app-token and app-ticket endpoints take the client's
credentials or a refresh token in the request itself)."""

Security = list[dict[str, list[str]]]
APP: Security = [{"appToken": []}, {"appClaims": []}]
SHOPPER: Security = [{"appToken": [], "userClaims": []}, {"appClaims": [], "userClaims": []}]
SECURITY: dict[str, Security] = {
    "CurrentAccountFunction": [*SHOPPER, {"shopperJwt": []}],
    "TwoFactorRequestFunction": SHOPPER,
    "TwoFactorAuthFunction": SHOPPER,
}
"""Who may call each function, beside ``APP`` (any other function) and ``PUBLIC``."""

SECURITY_SCHEMES = {
    "appToken": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The application's token from POST /api/platform/applications/authtickets/oauth.",
    },
    "appClaims": {
        "type": "apiKey",
        "in": "header",
        "name": "x-vol-app-claims",
        "description": "The application's token, where Kibo's SDKs send it beside userClaims.",
    },
    "userClaims": {
        "type": "apiKey",
        "in": "header",
        "name": "x-vol-user-claims",
        "description": "The shopper's accessToken from a CustomerAuthTicket.",
    },
    "shopperJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The shopper's jwtAccessToken from a CustomerAuthTicket, alone.",
    },
}

HEADERS = {
    "Correlation": {
        "description": "The request's x-vol-correlation if it was 1-128 of [A-Za-z0-9._:-], else a new id.",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 128},
    },
    "RetryAfter": {
        "description": "Seconds to wait before asking again.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "Allow": {
        "description": "The methods the path serves, comma-separated.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Z]+(, [A-Z]+)*$"},
    },
}
RETRY_AFTER = {"429", "503"}

PARAMETERS = {
    "Correlation": {
        "name": "x-vol-correlation",
        "in": "header",
        "required": False,
        "description": "Echoed in the response's x-vol-correlation (and logs) when 1-128 of [A-Za-z0-9._:-].",
        "schema": {"type": "string"},
    },
    "Tenant": {
        "name": "x-vol-tenant",
        "in": "header",
        "required": False,
        "description": "The tenant id; must be the app token's tenant.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
    },
    "Site": {
        "name": "x-vol-site",
        "in": "header",
        "required": False,
        "description": "The site id; must be the app token's site if the client is site-scoped.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
    },
}

RESPONSE_FIELDS_NOTE = (
    "; the response then holds only the named fields (any field of its body may be absent)."
)

JWKS_ROUTES = {
    "/.well-known/jwks.json": ("getJsonWebKeySet", "The public keys that verify the service's JWTs"),
    "/api/platform/jwks": ("getPlatformJsonWebKeySet", "The same key set, under /api/platform"),
}
"""JwksFunction's routes carry no route_docs: their operation ids and body are documented here."""

JWKS_SCHEMAS = {
    "JsonWebKey": {
        "type": "object",
        "title": "JsonWebKey",
        "description": "An ES256 public key (RFC 7517); kid is its RFC 7638 thumbprint.",
        "properties": {
            "kty": {"type": "string", "const": "EC"},
            "crv": {"type": "string", "const": "P-256"},
            "x": {"type": "string"},
            "y": {"type": "string"},
            "kid": {"type": "string"},
            "use": {"type": "string", "const": "sig"},
            "alg": {"type": "string", "const": "ES256"},
        },
        "required": ["kty", "crv", "x", "y", "kid", "use", "alg"],
    },
    "JsonWebKeySet": {
        "type": "object",
        "title": "JsonWebKeySet",
        "properties": {"keys": {"type": "array", "items": {"$ref": f"{SCHEMAS}JsonWebKey"}}},
        "required": ["keys"],
    },
}

DESCRIPTION = """\
Kibo Commerce-compatible customer authentication: app tokens, customer accounts, Create-Login,
sign-in, refresh, log out, two-factor authentication and the signing keys.

Every refusal is Kibo's `ApiError` (`MISSING_OR_INVALID_PARAMETER` 400, `UNAUTHORIZED`,
`INVALID_CREDENTIALS` or `INVALID_TOKEN` 401, `FORBIDDEN` 403, `ITEM_NOT_FOUND` 404,
`VALIDATION_CONFLICT` 409, `TOO_MANY_REQUESTS` 429, `SERVICE_UNAVAILABLE` 503); a request that
fails validation gets 400, never 422. Any other path answers 404 `ITEM_NOT_FOUND`, and a path
below asked with a method it does not serve 405 `METHOD_NOT_ALLOWED` with an `Allow` header
(`ANY /{proxy+}`), whatever the request's body. Every response carries `x-vol-correlation`.
"""


def document() -> dict[str, Any]:
    """The whole API's OpenAPI document, from the functions of template.yaml."""
    merge = OpenAPIMerge(
        title="customer-auth",
        version=_version(),
        description=DESCRIPTION,
        servers=[Server(url="/", description="This deployment: the HTTP API's URL, or make run's")],
        on_conflict="error",
    )
    for spec in _unified(_function_documents()):
        merge.add_schema(spec)
    merged: dict[str, Any] = copy.deepcopy(merge.get_openapi_schema())
    _add_catch_all(merged)
    _document_jwks(merged)
    _drop_422(merged)
    _no_null_bodies(merged)
    _callers(merged)
    _headers(merged)
    _trimmed_by_response_fields(merged)
    _prune_components(merged)
    merged["paths"] = dict(sorted(merged["paths"].items()))
    merged["components"] = {kind: dict(sorted(items.items())) for kind, items in merged["components"].items()}
    OpenAPI.model_validate(merged)  # powertools' model of an OpenAPI 3.1 document
    return merged


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def _version() -> str:
    with (sam_template.ROOT / "pyproject.toml").open("rb") as stream:
        version: str = tomllib.load(stream)["project"]["version"]
    return version


def _function_documents() -> dict[str, dict[str, Any]]:
    """Each function's own document (template order), as powertools generates it from its resolver."""
    router = Router()
    found: dict[str, dict[str, Any]] = {}
    for route in sam_template.routes():
        if route.function in found or route.function == CATCH_ALL:
            continue
        spec = router.module(route).app.get_openapi_schema()
        found[route.function] = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
        for path_item in found[route.function]["paths"].values():
            for operation in _operations(path_item):
                operation["x-function"] = route.function  # read (and removed) by _callers
    return found


def _operations(path_item: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from (path_item[method] for method in METHODS if method in path_item)


def _all_operations(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in spec["paths"].values():
        yield from _operations(path_item)


def _unified(specs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The functions' documents with one name per distinct component schema.

    Each function names its models alone: a model it uses both in a request and in a response
    becomes ``X-Input`` and ``X-Output``, one it uses in a response only is plain ``X``. Schemas are
    compared by content (their references followed), and every schema gets the name ``X`` if all
    functions agree on it, else ``X-Input`` / ``X-Output`` by the mode it is generated for.
    """
    fingerprints: dict[tuple[str, str], str] = {}

    def fingerprint(function: str, name: str, seen: tuple[str, ...] = ()) -> str:
        if (function, name) not in fingerprints:
            if name in seen:
                raise ValueError(f"recursive component {name} in {function}")
            schema = specs[function]["components"]["schemas"][name]
            canonical = _replace_refs(schema, lambda ref: fingerprint(function, ref, (*seen, name)))
            text = json.dumps(canonical, sort_keys=True)
            fingerprints[function, name] = hashlib.sha256(text.encode()).hexdigest()
        return fingerprints[function, name]

    by_base: dict[str, dict[str, set[str]]] = {}  # base name -> fingerprint -> suffixes it was named with
    for function, spec in specs.items():
        for name in spec.get("components", {}).get("schemas", {}):
            base, suffix = _split_mode(name)
            by_base.setdefault(base, {}).setdefault(fingerprint(function, name), set()).add(suffix)
    global_name: dict[str, str] = {}  # fingerprint -> name in the merged document
    for base, variants in by_base.items():
        if len(variants) == 1:
            (only,) = variants
            global_name[only] = base
            continue
        modes = {print_: suffixes - {""} for print_, suffixes in variants.items()}
        named = [suffix for suffixes in modes.values() for suffix in suffixes]
        if len(named) != len(modes) or len(set(named)) != len(named):
            raise ValueError(f"component {base} has {len(variants)} different definitions across functions")
        for print_, (suffix,) in modes.items():
            global_name[print_] = base + suffix
    unified = []
    for function, spec in specs.items():
        renamed = {name: global_name[fingerprint(function, name)] for name in spec["components"]["schemas"]}

        def reference(name: str, renamed: dict[str, str] = renamed) -> str:
            return SCHEMAS + renamed[name]

        spec = _replace_refs(spec, reference)
        spec["components"]["schemas"] = {renamed[n]: s for n, s in spec["components"]["schemas"].items()}
        unified.append(spec)
    return unified


def _split_mode(name: str) -> tuple[str, str]:
    for suffix in ("-Input", "-Output"):
        if name.endswith(suffix):
            return name.removesuffix(suffix), suffix
    return name, ""


def _replace_refs(value: Any, replace: Callable[[str], str]) -> Any:
    """``value`` with each ``{"$ref": "#/components/schemas/N"}`` target replaced by ``replace(N)``."""
    if isinstance(value, dict):
        return {
            key: replace(inner.removeprefix(SCHEMAS))
            if key == "$ref" and isinstance(inner, str) and inner.startswith(SCHEMAS)
            else _replace_refs(inner, replace)
            for key, inner in value.items()
        }
    if isinstance(value, list):
        return [_replace_refs(inner, replace) for inner in value]
    return value


def _refusal(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": SCHEMAS + "ApiError"}}},
    }


BAD_REQUEST = "MISSING_OR_INVALID_PARAMETER: a request body that is not JSON (or not application/json)"
UNAVAILABLE = "SERVICE_UNAVAILABLE: a dependency failed after retries (Retry-After)"


def _add_catch_all(spec: dict[str, Any]) -> None:
    """NotFoundFunction's ``ANY /{proxy+}``, in API Gateway's OpenAPI extension for any method."""
    spec["paths"]["/{proxy+}"] = {
        ANY_METHOD: {
            "operationId": "notFound",
            "summary": "Any path or method no other operation serves",
            "parameters": [{"name": "proxy+", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "404": _refusal("ITEM_NOT_FOUND: no operation has this path"),
                "405": _refusal("METHOD_NOT_ALLOWED: the path's operations take other methods (Allow)"),
            },
            "x-function": CATCH_ALL,
        }
    }


def _document_jwks(spec: dict[str, Any]) -> None:
    for path, (operation_id, summary) in JWKS_ROUTES.items():
        operation = spec["paths"][path]["get"]
        operation["operationId"], operation["summary"] = operation_id, summary
        operation["responses"] = {
            "200": {
                "description": "The key set; cacheable for 5 minutes",
                "content": {"application/json": {"schema": {"$ref": SCHEMAS + "JsonWebKeySet"}}},
            },
            "400": _refusal(BAD_REQUEST),
            "503": _refusal(UNAVAILABLE),
        }
    spec["components"]["schemas"].update(copy.deepcopy(JWKS_SCHEMAS))


def _drop_422(spec: dict[str, Any]) -> None:
    """powertools documents a 422 on every validated route; the service answers 400 instead."""
    for operation in _all_operations(spec):
        operation["responses"].pop("422", None)


def _no_null_bodies(spec: dict[str, Any]) -> None:
    """An optional body (``Model | None``) is documented as ``anyOf [Model, null]``, but the service
    refuses a JSON ``null`` (400: the body must be a JSON object); no body at all is what it
    accepts, and ``requestBody.required: false`` says so already."""
    for operation in _all_operations(spec):
        body = operation.get("requestBody")
        if body is None or body.get("required"):
            continue
        for media in body["content"].values():
            schema = media["schema"]
            choices = [choice for choice in schema.get("anyOf", []) if choice != {"type": "null"}]
            if len(choices) == 1 and len(schema["anyOf"]) == 2:
                del schema["anyOf"]
                schema.update(choices[0])


def _callers(spec: dict[str, Any]) -> None:
    """The credentials each operation takes, and the tenant and site headers of those that check them."""
    spec["components"]["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
    spec["components"]["parameters"] = copy.deepcopy(PARAMETERS)
    for operation in _all_operations(spec):
        function = operation.pop("x-function")
        public = function in PUBLIC
        operation["security"] = [] if public else copy.deepcopy(SECURITY.get(function, APP))
        shared = ["Correlation"] if public else ["Correlation", "Tenant", "Site"]
        operation["parameters"] = [
            *({"$ref": f"#/components/parameters/{name}"} for name in shared),
            *operation.get("parameters", []),
        ]


def _headers(spec: dict[str, Any]) -> None:
    """Every response's x-vol-correlation; Retry-After on 429 and 503, Allow on 405; no body on 204, nor on a
    200 documented as empty (Kibo's answer to Reset-Password and Update-Forgotten-Password)."""
    spec["components"]["headers"] = copy.deepcopy(HEADERS)
    for operation in _all_operations(spec):
        for status, response in operation["responses"].items():
            headers = {"x-vol-correlation": {"$ref": "#/components/headers/Correlation"}}
            if status in RETRY_AFTER:
                headers["Retry-After"] = {"$ref": "#/components/headers/RetryAfter"}
            if status == "405":
                headers["Allow"] = {"$ref": "#/components/headers/Allow"}
            response["headers"] = headers
            if status == "204" or response.get("description") == EMPTY:
                response.pop("content", None)


def _trimmed_by_response_fields(spec: dict[str, Any]) -> None:
    """``responseFields`` may leave any field of a success body out, so no field of one is required."""
    trimmed = []
    for operation in _all_operations(spec):
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == "responseFields":
                parameter["description"] = parameter["description"].rstrip(".") + RESPONSE_FIELDS_NOTE
                parameter["schema"]["description"] = parameter["description"]
                trimmed.append(operation)
    schemas = spec["components"]["schemas"]
    in_requests = _reachable(spec, _all_operations(spec), lambda status: False, requests=True)
    for name in _reachable(spec, trimmed, lambda status: status.startswith("2"), requests=False):
        if schemas[name].get("required"):
            if name in in_requests:
                raise ValueError(f"{name} is both a request and a success body and has required fields")
            del schemas[name]["required"]


def _reachable(
    spec: dict[str, Any],
    operations: Iterable[dict[str, Any]],
    statuses: Callable[[str], bool],
    *,
    requests: bool,
) -> set[str]:
    """Component schemas reachable from the request bodies and parameters of ``operations``, or from
    the bodies of their ``statuses``."""
    roots: list[Any] = []
    for operation in operations:
        if requests:
            roots.append(operation.get("requestBody"))
            roots.extend(operation.get("parameters", []))
        else:
            roots.extend(r for status, r in operation["responses"].items() if statuses(status))
    found: set[str] = set()
    pending = [name for root in roots for name in _refs(root)]
    while pending:
        name = pending.pop()
        if name not in found:
            found.add(name)
            pending.extend(_refs(spec["components"]["schemas"][name]))
    return found


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMAS):
            yield ref.removeprefix(SCHEMAS)
        for inner in value.values():
            yield from _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _refs(inner)


def _prune_components(spec: dict[str, Any]) -> None:
    """Only the schemas some operation uses (powertools adds its validation-error ones everywhere)."""
    used = _reachable(spec, _all_operations(spec), lambda status: True, requests=False)
    used |= _reachable(spec, _all_operations(spec), lambda status: False, requests=True)
    schemas = spec["components"]["schemas"]
    spec["components"]["schemas"] = {name: schema for name, schema in schemas.items() if name in used}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.openapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed document is stale")
    args = parser.parse_args(argv)
    text = render(document())
    relative = (
        DOCUMENT.relative_to(sam_template.ROOT) if DOCUMENT.is_relative_to(sam_template.ROOT) else DOCUMENT
    )
    if args.check:
        if not DOCUMENT.is_file() or DOCUMENT.read_text() != text:
            print(f"{relative} differs from the code's OpenAPI document: run make openapi", file=sys.stderr)
            return 1
        print(f"{relative} is up to date")
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
