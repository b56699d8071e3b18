"""Contract fuzzing: schemathesis generates requests from the committed OpenAPI document and sends
them to the functions in process (a WSGI adapter over the local router, so every request becomes
the API Gateway event AWS would send). Every answer must be a documented status, content type,
body and headers, and never a 5xx.

The generated requests are steered toward real state: most carry a valid app token (or one with
fewer behaviors), the right tenant and site, a real account id, a real shopper's tokens and
credentials, a 2FA or passwordless sign-in code the mailer received; the rest stay as generated
(no token, any id). Each account a request creates is read back: what the API accepted, it must be
able to return.

CI runs about 4,100 requests. ``make fuzz`` runs many more: FUZZ_EXAMPLES (positive examples per
operation, at least 100; a third as many negative ones), for example ``make fuzz FUZZ_EXAMPLES=2000``.
"""

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from tests.support.fixtures import SITE_ID, TENANT_ID, World
from tools import openapi
from tools.local_api.router import Router

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
POSITIVE = max(100, int(os.environ.get("FUZZ_EXAMPLES") or 0))
NEGATIVE = POSITIVE // 3
CI_MINIMUM = 2_000
PASSWORD = "a long fuzzing passphrase"
TWO_FACTOR_PATHS = {
    "/api/commerce/customer/authtickets/2fa/request",
    "/api/commerce/customer/authtickets/2fa/auth",
}
OTP_AUTH = "/api/commerce/customer/authtickets/otp/auth"
APP_TICKETS = "/api/platform/applications/authtickets"

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(router: Router) -> Wsgi:
    """The local router as a WSGI application: the raw path and query go into the event unchanged."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or environ["PATH_INFO"]
        path, _, query = raw.partition("?")
        # werkzeug's test environ has no RAW_URI: the query string is only in QUERY_STRING
        query = query or environ.get("QUERY_STRING", "")
        headers = [(k[5:].replace("_", "-").lower(), v) for k, v in environ.items() if k.startswith("HTTP_")]
        if environ.get("CONTENT_TYPE"):
            headers.append(("content-type", environ["CONTENT_TYPE"]))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        response = router.request(environ["REQUEST_METHOD"], path, query, headers, body)
        assert response is not None, "the catch-all route answers every path"
        start_response(
            f"{response['statusCode']} -", [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
        )
        payload = response.get("body") or ""
        return [payload.encode()]

    return app


@dataclass(frozen=True)
class State:
    """Real values a generated request may be given: tokens, ids, credentials, a 2FA code."""

    app_tokens: dict[str, str]
    account_ids: tuple[int, int]
    email: str
    ticket: dict[str, Any]
    waiting: dict[str, Any] | None = None
    otp_code: str | None = None
    client: tuple[str, str] = ("", "")
    confirmation_code: str | None = None
    app_ticket_refresh: str = ""
    """An older-style app ticket's refresh token (it works once)."""


def prepare(world: World, operation: APIOperation, serial: int) -> State:
    """A fresh shopper (and guest) for each operation, so one operation's locks and log-outs do
    not starve the next; a 2FA-waiting sign-in (and its code) for the two 2FA operations."""
    tokens = {name: world.app_token(name) for name in ("full", "basic", "reader")}
    email = f"fuzz{serial}@example.com"
    shopper = world.add_account(tokens["full"], emailAddress=email)["id"]
    guest = world.add_account(tokens["full"], emailAddress=f"guest{serial}@example.com")["id"]
    created = world.create_login(shopper, {"emailAddress": email, "password": PASSWORD}, token=tokens["full"])
    assert created.status == 200, created.text
    client = world.clients["full"]
    app_ticket = world.api.call(
        "POST", APP_TICKETS, {"applicationId": client.client_id, "sharedSecret": client.secret}
    )
    assert app_ticket.status == 200, app_ticket.text
    state = State(
        tokens,
        (shopper, guest),
        email,
        created.json,
        client=(client.client_id, client.secret),
        app_ticket_refresh=app_ticket.json["refreshToken"],
    )
    _two_factor(always=operation.path in TWO_FACTOR_PATHS)
    if operation.path == OTP_AUTH:
        path = "/api/commerce/customer/authtickets/otp/request"
        world.mailer.events()
        assert world.api.call("POST", path, {"email": email}, token=tokens["full"]).status == 204
        (code,) = world.mailer.otp_sign_in_codes()
        return replace(state, otp_code=code)
    if operation.path.endswith("/Update-Forgotten-Password"):
        path = "/api/commerce/customer/accounts/Reset-Password"
        world.mailer.events()
        assert world.api.call("POST", path, {"emailAddress": email}, token=tokens["full"]).status == 200
        (code,) = world.mailer.reset_codes()
        return replace(state, confirmation_code=code)
    if operation.path not in TWO_FACTOR_PATHS:
        return state
    signed_in = world.api.call(
        "POST",
        "/api/commerce/customer/authtickets",
        {"username": email, "password": PASSWORD},
        token=tokens["full"],
    )
    assert signed_in.status == 200, signed_in.text
    assert signed_in.json["requires2FA"]
    if operation.path.endswith("/request"):
        return replace(state, waiting=signed_in.json)
    sent = world.api.call(
        "POST",
        "/api/commerce/customer/authtickets/2fa/request",
        token=tokens["full"],
        headers={"x-vol-user-claims": signed_in.json["accessToken"]},
    )
    assert sent.status == 204, sent.text
    (code,) = world.mailer.codes()
    return replace(state, waiting=signed_in.json, otp_code=code)


def _two_factor(*, always: bool) -> None:
    """The tenant's 2FA policy, and passwordless sign-in on (its routes answer 404 while it is off)."""
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    sign_in = replace(tenant.sign_in_policy, passwordless_sign_in=True)
    provision_tenant(
        store, replace(tenant, two_factor_policy=TwoFactorPolicy(always=always), sign_in_policy=sign_in)
    )


def steer(case: Case, state: State, data: st.DataObject, created: list[int]) -> None:
    """Give a generated request real values where hypothesis chooses to (it keeps the rest);
    ``created``: the accounts earlier fuzzed requests made, so that later ones read them back."""

    def often(chance: float) -> bool:
        return data.draw(st.floats(0, 1)) < chance

    headers = dict(case.headers or {})
    caller = data.draw(st.sampled_from(["full", "full", "full", "basic", "reader", "as generated"]))
    if caller != "as generated":
        token = state.app_tokens[caller]
        if often(0.8):
            headers["authorization"] = f"Bearer {token}"
        else:
            headers["x-vol-app-claims"] = token
    if often(0.85):
        headers["x-vol-tenant"], headers["x-vol-site"] = str(TENANT_ID), str(SITE_ID)
    ticket = state.waiting or state.ticket
    if case.operation.path.endswith("/current") and often(0.3):
        headers.pop("x-vol-app-claims", None)
        headers["authorization"] = f"Bearer {state.ticket['jwtAccessToken']}"
    elif often(0.8):
        headers["x-vol-user-claims"] = ticket["accessToken"]
    case.headers = headers

    parameters = dict(case.path_parameters or {})
    if "accountId" in parameters and often(0.7):
        shopper, guest = state.account_ids  # hypothesis prefers the first: the guest for Create-Login
        first = (guest, shopper) if case.operation.path.endswith("/Create-Login") else (shopper, guest)
        parameters["accountId"] = data.draw(st.sampled_from(first + tuple(created[-50:])))
    if "tenantId" in parameters and often(0.7):
        parameters["tenantId"] = TENANT_ID
    if "refreshToken" in parameters and often(0.5):  # the app ticket's delete
        parameters["refreshToken"] = state.app_ticket_refresh
    case.path_parameters = parameters
    if case.query and "refreshToken" in case.query and often(0.5):
        case.query = {**case.query, "refreshToken": state.ticket["refreshToken"]}
    for name in ("userName", "emailAddress"):  # the login-state lookups by name
        if case.query and name in case.query and often(0.6):
            case.query = {**case.query, name: state.email}
    if isinstance(case.body, dict) and often(0.6):
        fresh = f"new{data.draw(st.integers(0, 10**9))}@example.com"
        case.body = {**case.body, **_real_body_values(case, state, fresh)}


def _real_body_values(case: Case, state: State, fresh_email: str) -> dict[str, Any]:
    path = case.operation.path
    if path.endswith("/oauth"):
        return {
            "client_id": state.client[0],
            "client_secret": state.client[1],
            "grant_type": "client_credentials",
        }
    if path == APP_TICKETS:
        return {"applicationId": state.client[0], "sharedSecret": state.client[1]}
    if path.endswith("/refresh-ticket"):
        return {"refreshToken": state.app_ticket_refresh}
    if path.endswith("/authtickets") and case.method == "POST":
        return {"username": state.email, "password": PASSWORD}
    if path.endswith("/2fa/auth") and state.waiting is not None:
        return {"userId": state.waiting["userId"], "otpCode": state.otp_code}
    if path == OTP_AUTH:
        return {"email": state.email, "otpCode": state.otp_code}
    if path.endswith("/otp/request"):
        return {"email": state.email}
    if path.endswith("/Update-Forgotten-Password"):
        new_password = f"{fresh_email} {PASSWORD}"
        return {
            "userName": state.email,
            "confirmationCode": state.confirmation_code,
            "newPassword": new_password,
        }
    if path.endswith("/Reset-Password"):
        return {"emailAddress": state.email}
    if path.endswith("/Change-Passwords"):
        item = {
            "accountId": state.account_ids[0],
            "passwordInfo": {"newPassword": f"{fresh_email} {PASSWORD}"},
        }
        return {"items": [item]}
    if path.endswith("/Change-Password"):
        return {"oldPassword": PASSWORD, "newPassword": f"{fresh_email} {PASSWORD}", "externalPassword": None}
    if "refreshToken" in case.body or path.endswith("/refresh"):
        return {"refreshToken": state.ticket["refreshToken"]}
    new_login = {"password": PASSWORD, "externalPassword": None, "isImport": None}
    if path.endswith("/Create-Login"):
        return {**new_login, "emailAddress": fresh_email, "username": None}
    if path.endswith("/Add-Account-And-Login"):
        account = case.body.get("account")
        account = account if isinstance(account, dict) else {}
        return {**new_login, "account": {**account, "emailAddress": fresh_email, "userName": None}}
    return {}


@dataclass
class Run:
    """What the fuzzing sent and what came back; ``read_back`` (GET an account) follows each
    account a request created, as a client would: what was accepted must be readable."""

    read_back: APIOperation | None = None
    app_token: str = ""
    requests: int = 0
    generated: int = 0
    created: list[int] = field(default_factory=list)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    findings: list[str] = field(default_factory=list)


def fuzz(operation: APIOperation, state: State, run: Run, mode: GenerationMode, examples: int) -> None:
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Case, data: st.DataObject) -> None:
        steer(case, state, data, run.created)
        run.generated += 1
        response = check(case, mode)
        if (
            response.status_code == 200
            and response.content
            and operation.path.startswith("/api/commerce/customer/accounts")
        ):
            body = response.json()
            for account in (body, body.get("customerAccount") or {}):
                if account.get("id") and operation.method.upper() == "POST" and run.read_back is not None:
                    run.created.append(account["id"])
                    follow = run.read_back.Case(
                        path_parameters={"accountId": account["id"]}, headers=_caller(run)
                    )
                    check(follow, mode, f"read back after {operation.label} with body {case.body!r:.3000}")

    def check(case: Case, mode: GenerationMode, sent: str = "") -> Any:
        response = case.call()
        run.requests += 1
        run.statuses[case.operation.label, response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, AssertionError) as failure:  # a finding: kept; fuzzing goes on for others
            sent = sent or f"body {case.body!r:.3000}"
            run.findings.append(
                f"{case.operation.label} ({mode.value}) -> {response.status_code}: {failure}\n{sent}"
            )
        return response

    try:
        send()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request can be generated"


def _caller(run: Run) -> dict[str, str]:
    return {
        "authorization": f"Bearer {run.app_token}",
        "x-vol-tenant": str(TENANT_ID),
        "x-vol-site": str(SITE_ID),
    }


def loaded(spec: dict[str, Any], router: Router) -> Any:
    schema = schemathesis.openapi.from_dict(spec)
    schema.app = wsgi_app(router)
    return schema


def test_every_generated_request_gets_a_documented_conforming_non_5xx_answer(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = loaded(json.loads(openapi.DOCUMENT.read_text()), world.api.router)
    operations = [result.ok() for result in schema.get_all_operations()]
    read_back = next(o for o in operations if o.method.upper() == "GET" and o.path.endswith("/{accountId}"))
    run = Run(read_back, world.app_token())
    for serial, operation in enumerate(operations):
        state = prepare(world, operation, serial)
        fuzz(operation, state, run, GenerationMode.POSITIVE, POSITIVE)
        fuzz(operation, state, run, GenerationMode.NEGATIVE, NEGATIVE)

    if "FUZZ_EXAMPLES" in os.environ:  # make fuzz: what was sent and answered, past pytest's capture
        with capsys.disabled():
            print(f"\n{run.generated} generated requests, {run.requests} with read-backs")
            print(f"{len(run.findings)} findings")
            for (label, status), count in sorted(run.statuses.items()):
                print(f"  {label}: {status} x{count}")
    headlines = sorted({finding.split(":", 1)[0] for finding in run.findings})
    assert not run.findings, "\n\n".join([*run.findings[:5], f"{len(run.findings)} findings:", *headlines])
    assert run.generated >= CI_MINIMUM
    labels = {operation.label for operation in operations}
    assert {label for label, _ in run.statuses} == labels
    succeeded = {label for (label, status) in run.statuses if status < 300}
    assert succeeded == labels, f"never a success: {sorted(labels - succeeded)}"


def test_the_harness_reports_a_response_that_breaks_the_document(world: World) -> None:
    """The same checks on a document that wrongly demands a field: every success is a finding."""
    spec = json.loads(openapi.DOCUMENT.read_text())
    spec["components"]["schemas"]["JsonWebKeySet"]["required"].append("issuer")
    operation = next(
        result.ok()
        for result in loaded(spec, world.api.router).get_all_operations()
        if result.ok().path == "/.well-known/jwks.json"
    )
    run = Run()
    tokens = {name: "not-a-token" for name in ("full", "basic", "reader")}
    state = State(
        tokens, (1, 2), "", {name: "x" for name in ("accessToken", "refreshToken", "jwtAccessToken")}
    )
    fuzz(operation, state, run, GenerationMode.POSITIVE, 5)
    assert run.requests == 5
    assert len(run.findings) == 5
    assert all("issuer" in finding for finding in run.findings)
