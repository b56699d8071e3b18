"""``make invoke EVENT=events/<name>.json [FUNCTION=<LogicalId>]``: what ``sam local invoke`` does,
without Docker.

It provisions ``make run``'s backend (the embedded moto DynamoDB and Secrets Manager, the table,
the signing keys and the seed tenant and client of tools/local_api/seed.json), fills the event's
placeholders with real values (a fresh app token from the seed client; for the events that act on
a shopper, the tokens of a shopper made with the Create-Login sample; for the two-factor events, a
sign-in waiting for its code, and the code from the local outbox; for the passwordless events,
the tenant's switch on and the code from the local outbox; for the app-ticket events, an app
ticket's refresh token), then calls the function's handler once, with only the environment
template.yaml gives that function, and prints the response. Each run starts from a fresh
backend, so every file in events/ answers as documented.
"""

import argparse
import json
import os
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import sam_template
from ..sam_template import Route
from .__main__ import SEED, provision
from .backends import dynamodb_backend
from .embedded_aws import EmbeddedAws
from .events import filled_sample

EVENTS = sam_template.ROOT / "events"
TWO_FACTOR_ROUTES = ("/2fa/request", "/2fa/auth")
PASSWORDLESS_ROUTES = ("/otp/request", "/otp/auth")
APP_TICKETS = "/api/platform/applications/authtickets"
SAMPLE_ACCOUNT_ID = "1213933593"
"""The account id the samples name, in paths and in Change-Passwords' items."""


class Invocation:
    """The backend, the seed's client and the handlers, for preparing and invoking one event."""

    def __init__(self, client: dict[str, Any], tenant_id: int, site_id: int) -> None:
        from .router import Router

        self.router = Router()
        self.client = client
        self.tenant_id = tenant_id
        self.site_id = site_id

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> dict[str, Any]:
        sent = {
            "content-type": "application/json",
            "x-vol-tenant": str(self.tenant_id),
            "x-vol-site": str(self.site_id),
            **headers,
        }
        payload = json.dumps(body).encode() if body is not None else b""
        response = self.router.request(method, path, "", list(sent.items()), payload)
        assert response is not None, f"no route for {method} {path}"
        return response

    def app_token(self) -> str:
        response = self.call(
            "POST",
            "/api/platform/applications/authtickets/oauth",
            {
                "client_id": self.client["clientId"],
                "client_secret": self.client["secret"],
                "grant_type": "client_credentials",
            },
        )
        token: str = _ok(response)["access_token"]
        return token

    def shopper(self) -> tuple[int, dict[str, Any] | None]:
        """A guest account, and the ticket of the login the Create-Login sample gives it."""
        bearer = f"Bearer {self.app_token()}"
        account = _ok(
            self.call(
                "POST",
                "/api/commerce/customer/accounts",
                {"emailAddress": "someone.else@example.com"},
                authorization=bearer,
            )
        )
        body = json.loads(_sample("create_login")["body"])
        ticket = _ok(
            self.call(
                "POST",
                f"/api/commerce/customer/accounts/{account['id']}/Create-Login",
                body,
                authorization=bearer,
            )
        )
        return int(account["id"]), ticket

    def waiting_ticket(self, *, with_code: bool) -> dict[str, Any]:
        """The sign-in sample's ticket with the tenant asking for a second factor always, and the
        code its mailer got (read from the local outbox)."""
        from customer_auth.api import runtime
        from customer_auth.domain.apps.provisioning import provision_tenant
        from customer_auth.domain.tenants.policies import TwoFactorPolicy

        store = runtime.store()
        tenant = store.get_tenant(self.tenant_id)
        assert tenant is not None
        provision_tenant(store, replace(tenant, two_factor_policy=TwoFactorPolicy(always=True)))
        bearer = f"Bearer {self.app_token()}"
        credentials = json.loads(_sample("sign_in")["body"])
        ticket = _ok(
            self.call("POST", "/api/commerce/customer/authtickets", credentials, authorization=bearer)
        )
        assert ticket["requires2FA"] is True
        if with_code:
            self.call(
                "POST",
                "/api/commerce/customer/authtickets/2fa/request",
                authorization=bearer,
                **{"x-vol-user-claims": ticket["accessToken"]},
            )
            outbox = Path(os.environ["CODE_OUTBOX_FILE"]).read_text().splitlines()
            ticket["otpCode"] = json.loads(outbox[-1])["otpCode"]
        return ticket

    def confirmation_code(self) -> str:
        """The code the tenant's mailer got (read from the local outbox) after the Reset-Password
        sample asked for one for the shopper."""
        from customer_auth.outbox import LOCAL_FILES

        bearer = f"Bearer {self.app_token()}"
        self.call(
            "POST",
            "/api/commerce/customer/accounts/Reset-Password",
            json.loads(_sample("reset_password")["body"]),
            authorization=bearer,
        )
        outbox = Path(os.environ["CODE_OUTBOX_FILE"]).with_name(LOCAL_FILES["PasswordResetRequested"])
        code: str = json.loads(outbox.read_text().splitlines()[-1])["confirmationCode"]
        return code

    def passwordless_code(self, *, with_code: bool) -> str | None:
        """Passwordless sign-in turned on for the tenant (off by default) and, ``with_code``, the
        code its mailer got (read from the local outbox) after the request sample asked for one."""
        from customer_auth.api import runtime
        from customer_auth.domain.apps.provisioning import provision_tenant
        from customer_auth.outbox import LOCAL_FILES

        store = runtime.store()
        tenant = store.get_tenant(self.tenant_id)
        assert tenant is not None
        policy = replace(tenant.sign_in_policy, passwordless_sign_in=True)
        provision_tenant(store, replace(tenant, sign_in_policy=policy))
        if not with_code:
            return None
        self.call(
            "POST",
            "/api/commerce/customer/authtickets/otp/request",
            json.loads(_sample("otp_request")["body"]),
            authorization=f"Bearer {self.app_token()}",
        )
        outbox = Path(os.environ["CODE_OUTBOX_FILE"]).with_name(LOCAL_FILES["OtpSignInRequested"])
        code: str = json.loads(outbox.read_text().splitlines()[-1])["otpCode"]
        return code

    def prepared(self, event: dict[str, Any]) -> tuple[Route, dict[str, Any]]:
        """The event's route, and the event with real values in place of its placeholders."""
        route = next((r for r in self.router.routes if r.route_key == event["routeKey"]), None)
        if route is None:
            raise SystemExit(f"no function of template.yaml serves {event['routeKey']}")
        account_id, ticket = (None, None) if route.path.endswith("/Create-Login") else self.shopper()
        if route.path.endswith("/Create-Login"):
            account_id = int(
                _ok(
                    self.call(
                        "POST",
                        "/api/commerce/customer/accounts",
                        {"emailAddress": "someone.else@example.com"},
                        authorization=f"Bearer {self.app_token()}",
                    )
                )["id"]
            )
        if route.path.endswith(TWO_FACTOR_ROUTES):
            ticket = self.waiting_ticket(with_code=route.path.endswith("/2fa/auth"))
        if route.path.endswith("/Update-Forgotten-Password") and ticket is not None:
            ticket["confirmationCode"] = self.confirmation_code()
        if route.path.endswith(PASSWORDLESS_ROUTES):
            code = self.passwordless_code(with_code=route.path.endswith("/otp/auth"))
            ticket = {"otpCode": code} if code else None
        if route.path.startswith(APP_TICKETS + "/") and not route.path.endswith("/oauth"):
            ticket = {**(ticket or {}), "appRefreshToken": self.app_ticket()["refreshToken"]}
        return route, _filled(event, self, account_id, ticket)

    def app_ticket(self) -> dict[str, Any]:
        """An older-style app ticket for the seed's client (refresh-ticket and delete act on one)."""
        credentials = {"applicationId": self.client["clientId"], "sharedSecret": self.client["secret"]}
        return _ok(self.call("POST", APP_TICKETS, credentials))


def _filled(
    event: dict[str, Any], invocation: Invocation, account_id: int | None, ticket: dict[str, Any] | None
) -> dict[str, Any]:
    if account_id is not None and event.get("body") and SAMPLE_ACCOUNT_ID in event["body"]:
        event["body"] = event["body"].replace(SAMPLE_ACCOUNT_ID, str(account_id))  # Change-Passwords' items
    return filled_sample(
        event,
        tenant_id=invocation.tenant_id,
        site_id=invocation.site_id,
        app_token=invocation.app_token,
        client=(invocation.client["clientId"], invocation.client["secret"]),
        account_id=account_id,
        ticket=ticket,
    )


@contextmanager
def template_environment(function: str) -> Iterator[dict[str, str]]:
    """Only what template.yaml gives ``function`` (Globals and its own variables), its references
    resolved to ``make run``'s values: a variable the template gives only other functions is
    absent, as on AWS. The two-factor code bus is make run's outbox file."""
    local = dict(os.environ)
    resolved = {"TABLE_NAME", "SIGNING_KEYS_SECRET_ID", "TOKEN_ISSUER"}
    declared = {**sam_template.function_environment(), **sam_template.own_environment(function)}
    given: dict[str, str] = {}
    for name, value in declared.items():
        if isinstance(value, str | int):
            given[name] = str(value)
        elif name in resolved:
            given[name] = local[name]
        elif name == "POWERTOOLS_LOG_LEVEL":
            given[name] = "INFO"
        elif name == "CODE_EVENT_BUS_NAME":
            given["CODE_OUTBOX_FILE"] = local["CODE_OUTBOX_FILE"]
    aws = {name: value for name, value in local.items() if name.startswith("AWS_") or name == "PATH"}
    given.update(aws)
    given.update({"POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"})
    os.environ.clear()
    os.environ.update(given)
    _forget_configuration()
    try:
        yield given
    finally:
        os.environ.clear()
        os.environ.update(local)
        _forget_configuration()


def _forget_configuration() -> None:
    from customer_auth.api import runtime
    from customer_auth.api.settings import settings

    settings.cache_clear()
    runtime.code_outbox.cache_clear()


def _ok(response: dict[str, Any]) -> dict[str, Any]:
    if response["statusCode"] != 200:
        raise RuntimeError(f"preparing the event failed: {response['statusCode']} {response.get('body')}")
    body: dict[str, Any] = json.loads(response["body"])
    return body


def _sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return loaded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make invoke", description=__doc__)
    parser.add_argument("--event", type=Path, nargs="+", required=True, help="events/*.json")
    parser.add_argument("--function", default="", help="the function's logical id (checked)")
    args = parser.parse_args(argv)
    events = {}
    for event_file in args.event:
        try:
            events[event_file] = json.loads(event_file.read_text())
        except FileNotFoundError:
            print(f"make invoke: there is no {event_file} (the samples are in events/)", file=sys.stderr)
            return 2
        except (OSError, ValueError) as error:
            print(f"make invoke: {event_file} is not a JSON event ({error})", file=sys.stderr)
            return 2

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    answers = []
    embedded = EmbeddedAws().start()
    # As sam local invoke: the function's log lines and metrics on stderr, its response on stdout.
    # (The logger binds the stream it finds when the handlers are first imported, in here.)
    try:
        with tempfile.TemporaryDirectory() as scratch, redirect_stdout(sys.stderr):
            invocation: Invocation | None = None
            for number, event_file in enumerate(args.event):
                event = events[event_file]
                os.environ["CODE_OUTBOX_FILE"] = str(Path(scratch) / f"2fa-codes-{number}.jsonl")
                _fresh(embedded.endpoint)
                backend = dynamodb_backend("moto", embedded.endpoint)
                _, document, clients = provision("127.0.0.1", 3000, SEED, embedded.endpoint, backend)
                tenant = document["tenant"]
                site = int(tenant["sites"][0]["id"])
                invocation = invocation or Invocation(clients[0], int(tenant["id"]), site)
                route, filled = invocation.prepared(event)
                if args.function and args.function != route.function:
                    raise SystemExit(f"{event_file} is an event of {route.function}, not {args.function}")
                with template_environment(route.function):
                    response = invocation.router.invoke(route, filled)
                answers.append({"event": str(event_file), "function": route.function, "response": response})
    finally:
        embedded.stop()
    print(json.dumps(answers[0] if len(answers) == 1 else answers, indent=2))
    return 0


def _fresh(endpoint: str) -> None:
    """Every event on a new backend: moto's state emptied, the service's cached clients and keys
    dropped (each event is its own cold start)."""
    from aws_lambda_powertools.utilities import parameters

    from customer_auth.api import runtime

    reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
    urllib.request.urlopen(reset, timeout=10).close()  # noqa: S310 (the embedded loopback server)
    runtime.store.cache_clear()
    runtime.secrets_provider.cache_clear()
    runtime.code_outbox.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]


if __name__ == "__main__":
    sys.exit(main())
