"""The bench's AWS (moto, in this process) and each function's sample request made real.

Each function gets the request of its ``events/*.json`` sample, with the seed tenant (the samples
already name it), a fresh app token, a real account and a real shopper's tokens, as
``tests/integration/test_events.py`` prepares them. The table is emptied before each sample, so
every sample finds the state it was written for.
"""

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3

from customer_auth.api import runtime
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from customer_auth.outbox import EventBridgeOutbox

from .. import local_env
from ..local_api.events import filled_sample
from ..local_api.router import Router
from ..operator import seed
from ..sam_template import ROOT, Route
from .replay import Recorder, Replayer

EVENTS = ROOT / "events"
SEED = json.loads((ROOT / "tools" / "local_api" / "seed.json").read_text())

NO_CONTENT = {
    "ChangePasswordFunction",
    "DeleteAccountFunction",
    "LogOutFunction",
    "SetLoginLockedFunction",
    "SetPasswordChangeRequiredFunction",
    "TwoFactorRequestFunction",
    "OtpRequestFunction",
}
TWO_FACTOR = {"TwoFactorRequestFunction", "TwoFactorAuthFunction"}
"""Samples that act on a sign-in waiting for its second factor (the tenant asks for it always)."""
PASSWORDLESS = {"OtpRequestFunction", "OtpAuthFunction"}
"""Samples of passwordless sign-in, which the tenant must turn on."""
APP_TICKET_HOLDERS = {"RefreshAppTicketFunction", "DeleteAppTicketFunction"}
"""Samples that act on an older-style app ticket's refresh token."""


def sample_file(function: str) -> Path:
    """``CreateLoginFunction`` -> ``events/create_login.json``."""
    stem = function.removesuffix("Function")
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in stem).lstrip("_")
    return EVENTS / f"{snake}.json"


def _sample_body(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.loads((EVENTS / f"{name}.json").read_text())["body"])
    return body


@dataclass(frozen=True)
class Sample:
    """A function's sample event, made real, and the status it must get."""

    route: Route
    event: dict[str, Any]
    expected_status: int


class World:
    """The table, keys and code bus of template.yaml in moto, the seed tenant, and every function
    loaded as a warm container keeps it. Call inside ``mock_aws()``."""

    def __init__(self, recorder: Recorder, replayer: Replayer) -> None:
        self.table = os.environ["TABLE_NAME"]
        self.dynamodb = boto3.client("dynamodb")
        local_env.create_table(self.dynamodb, self.table)
        self.secret = _secret_string(
            local_env.create_signing_secret(
                boto3.client("secretsmanager"), os.environ["SIGNING_KEYS_SECRET_ID"]
            )
        )
        boto3.client("events").create_event_bus(Name=os.environ["CODE_EVENT_BUS_NAME"])
        self.router = Router()
        self.recorder = recorder
        self.replayer = replayer
        for client in self._clients():
            recorder.attach(client)
            replayer.attach(client)
        self.reset()
        self.app_token()  # the first request fetches the signing keys; now they are cached
        secrets_client = runtime.secrets_provider().client
        recorder.attach(secrets_client)
        replayer.attach(secrets_client)

    def _clients(self) -> list[Any]:
        outbox = runtime.code_outbox()
        assert isinstance(outbox, EventBridgeOutbox), "the bench puts 2FA codes on EventBridge, as AWS does"
        return [runtime.store()._db, outbox._events]

    def clients(self) -> dict[str, Any]:
        """The clients the functions call, by botocore service name."""
        dynamodb, events = self._clients()
        return {"dynamodb": dynamodb, "events": events}

    def items(self) -> list[dict[str, Any]]:
        """Every item of the table, as stored (through a client the recorder does not watch)."""
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table)
        return [item for page in pages for item in page["Items"]]

    def reset(self) -> None:
        """An empty table with the seed file's tenant and app client."""
        self.replayer.active = False
        self.dynamodb.delete_table(TableName=self.table)
        local_env.create_table(self.dynamodb, self.table)
        seed(runtime.store(), SEED)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        sent = {
            "content-type": "application/json",
            "x-vol-tenant": str(SEED["tenant"]["id"]),
            "x-vol-site": str(SEED["tenant"]["sites"][0]["id"]),
            **(headers or {}),
        }
        if token is not None:
            sent["authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else b""
        response = self.router.request(method, path, urlencode(query or {}), list(sent.items()), payload)
        assert response is not None, f"no route for {method} {path}"
        text = response.get("body") or ""
        return int(response["statusCode"]), json.loads(text) if text else None

    def app_token(self) -> str:
        client = SEED["clients"][0]
        status, body = self.call(
            "POST",
            "/api/platform/applications/authtickets/oauth",
            {
                "client_id": client["clientId"],
                "client_secret": client["secret"],
                "grant_type": "client_credentials",
            },
        )
        assert status == 200, body
        token: str = body["access_token"]
        return token

    def prepare(self, function: str) -> Sample:
        """The function's sample with this world's tenant, tokens and a real shopper: every
        sample but Create-Login's acts on a shopper who has the Create-Login sample's login."""
        self.reset()
        token = self.app_token()
        status, account = self.call(
            "POST",
            "/api/commerce/customer/accounts",
            {"emailAddress": "someone.else@example.com", "firstName": "Grace", "lastName": "Guest"},
            token=token,
        )
        assert status == 200, account
        account_id = int(account["id"])
        ticket: dict[str, Any] | None = None
        if function != "CreateLoginFunction":
            status, ticket = self.call(
                "POST",
                f"/api/commerce/customer/accounts/{account_id}/Create-Login",
                _sample_body("create_login"),
                token=token,
            )
            assert status == 200, ticket
        if function in TWO_FACTOR:
            ticket = self._waiting_ticket(token, with_code=function == "TwoFactorAuthFunction")
        if function == "UpdateForgottenPasswordFunction":
            ticket = {"confirmationCode": self._confirmation_code(token)}
        if function in PASSWORDLESS:
            code = self._passwordless_code(token, with_code=function == "OtpAuthFunction")
            ticket = {"otpCode": code} if code else None
        if function in APP_TICKET_HOLDERS:
            client = SEED["clients"][0]
            credentials = {"applicationId": client["clientId"], "sharedSecret": client["secret"]}
            status, app_ticket = self.call("POST", "/api/platform/applications/authtickets", credentials)
            assert status == 200, app_ticket
            ticket = {"appRefreshToken": app_ticket["refreshToken"]}
        event = json.loads(sample_file(function).read_text())
        if function == "ChangePasswordsFunction":  # the sample's item names the sample's account
            body = json.loads(event["body"])
            body["items"][0]["accountId"] = account_id
            event["body"] = json.dumps(body)
        route = next(r for r in self.router.routes if r.route_key == event["routeKey"])
        expected = 404 if function == "NotFoundFunction" else 204 if function in NO_CONTENT else 200
        return Sample(route, self._localised(event, account_id, ticket), expected)

    def _confirmation_code(self, token: str) -> str:
        """The code Reset-Password puts on the bus for the Create-Login sample's login."""
        self.recorder.start()
        email = _sample_body("create_login")["emailAddress"]
        status, body = self.call(
            "POST", "/api/commerce/customer/accounts/Reset-Password", {"emailAddress": email}, token=token
        )
        calls = self.recorder.stop()
        assert status == 200, body
        (put,) = [c for c in calls if c.operation == "PutEvents"]
        code: str = json.loads(put.params["Entries"][0]["Detail"])["confirmationCode"]
        return code

    def _passwordless_code(self, token: str, *, with_code: bool) -> str | None:
        """Passwordless sign-in turned on and (``with_code``) the code the request sample puts on
        the bus for the Create-Login sample's login."""
        store = runtime.store()
        tenant = store.get_tenant(SEED["tenant"]["id"])
        assert tenant is not None
        store.put_tenant(
            replace(tenant, sign_in_policy=replace(tenant.sign_in_policy, passwordless_sign_in=True))
        )
        if not with_code:
            return None
        self.recorder.start()
        status, body = self.call(
            "POST", "/api/commerce/customer/authtickets/otp/request", _sample_body("otp_request"), token=token
        )
        calls = self.recorder.stop()
        assert status == 204, body
        (put,) = [c for c in calls if c.operation == "PutEvents"]
        code: str = json.loads(put.params["Entries"][0]["Detail"])["otpCode"]
        return code

    def _waiting_ticket(self, token: str, *, with_code: bool) -> dict[str, Any]:
        store = runtime.store()
        tenant = store.get_tenant(SEED["tenant"]["id"])
        assert tenant is not None
        store.put_tenant(replace(tenant, two_factor_policy=TwoFactorPolicy(always=True)))
        status, ticket = self.call(
            "POST", "/api/commerce/customer/authtickets", _sample_body("sign_in"), token=token
        )
        assert status == 200, ticket
        assert ticket["requires2FA"] is True, ticket
        if with_code:
            self.recorder.start()
            status, body = self.call(
                "POST",
                "/api/commerce/customer/authtickets/2fa/request",
                token=token,
                headers={"x-vol-user-claims": ticket["accessToken"]},
            )
            calls = self.recorder.stop()
            assert status == 204, body
            (put,) = [c for c in calls if c.operation == "PutEvents"]
            ticket["otpCode"] = json.loads(put.params["Entries"][0]["Detail"])["otpCode"]
        assert isinstance(ticket, dict)
        return ticket

    def _localised(
        self, event: dict[str, Any], account_id: int, ticket: dict[str, Any] | None
    ) -> dict[str, Any]:
        client = SEED["clients"][0]
        return filled_sample(
            event,
            tenant_id=SEED["tenant"]["id"],
            app_token=self.app_token,
            client=(client["clientId"], client["secret"]),
            account_id=account_id,
            ticket=ticket,
        )


def _secret_string(arn: str) -> str:
    value: str = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    return value
