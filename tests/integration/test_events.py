"""The files in events/ drive their functions, so `sam local invoke -e` examples cannot rot."""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.api.settings import settings
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from tests.support.fixtures import SITE_ID, TENANT_ID, World
from tools import sam_template
from tools.local_api.events import filled_sample

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _function_for(event_file: Path) -> str:
    return "".join(part.title() for part in event_file.stem.split("_")) + "Function"


def test_every_function_has_exactly_one_event_file_whose_route_is_its_own() -> None:
    routes = sam_template.routes()
    functions = {route.function for route in routes}
    files = sorted(EVENTS.glob("*.json"))
    assert {_function_for(f) for f in files} == functions
    for event_file in files:
        event = json.loads(event_file.read_text())
        own_keys = {r.route_key for r in routes if r.function == _function_for(event_file)}
        assert event["routeKey"] in own_keys, event_file.name
        assert event["version"] == "2.0"
        assert event["requestContext"]["routeKey"] == event["routeKey"]


NO_CONTENT = {
    "ChangePasswordFunction",
    "DeleteAccountFunction",
    "LogOutFunction",
    "SetLoginLockedFunction",
    "SetPasswordChangeRequiredFunction",
    "TwoFactorRequestFunction",
    "OtpRequestFunction",
}
EMPTY_OK = {"ResetPasswordFunction", "UpdateForgottenPasswordFunction", "DeleteAppTicketFunction"}
"""Samples Kibo answers with 200 and no body."""
TWO_FACTOR = {"TwoFactorRequestFunction", "TwoFactorAuthFunction"}
"""Samples that act on a sign-in waiting for its second factor (the tenant asks for it always)."""
PASSWORDLESS = {"OtpRequestFunction", "OtpAuthFunction"}
"""Samples of passwordless sign-in, which the tenant must turn on."""
APP_TICKET_HOLDERS = {"RefreshAppTicketFunction", "DeleteAppTicketFunction"}
"""Samples that act on an older-style app ticket's refresh token."""
SHOPPERS_OWN_ACCOUNT = {
    "SignInFunction",
    "RefreshFunction",
    "CurrentAccountFunction",
    "TwoFactorAuthFunction",
    "OtpAuthFunction",
}
"""Samples answered with the account of the shopper whose tokens or credentials they carry."""


def _localised(
    event: dict[str, Any], world: World, account_id: int | None, ticket: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The sample event with this test's tenant, a fresh app token, a real account id and the real
    tokens of the shopper's ``ticket``."""
    client = world.clients["full"]
    return filled_sample(
        event,
        tenant_id=TENANT_ID,
        site_id=SITE_ID,
        app_token=world.app_token,
        client=(client.client_id, client.secret),
        account_id=account_id,
        ticket=ticket,
    )


@dataclass(frozen=True)
class Prepared:
    """A sample event made real for this test's world, and the route it is for."""

    route: sam_template.Route
    event: dict[str, Any]
    account_id: int


def prepared(world: World, event_file: Path) -> Prepared:
    """The sample with this world's tenant, tokens and a real shopper: every sample but
    Create-Login's acts on a shopper who has the Create-Login sample's login."""
    account_id = world.add_account(emailAddress="someone.else@example.com")["id"]
    ticket = None
    if event_file.stem != "create_login":
        created = world.create_login(account_id, json.loads(_sample("create_login")["body"]))
        assert created.status == 200, created.text
        ticket = created.json
    event = json.loads(event_file.read_text())
    route = next(r for r in world.api.router.routes if r.route_key == event["routeKey"])
    if route.function in TWO_FACTOR:
        ticket = _waiting_ticket(world, with_code=route.function == "TwoFactorAuthFunction")
    if route.function == "UpdateForgottenPasswordFunction":
        ticket = {"confirmationCode": _reset_code(world)}
    if route.function in PASSWORDLESS:
        code = _passwordless_code(world, with_code=route.function == "OtpAuthFunction")
        ticket = {"otpCode": code} if code else None
    if route.function in APP_TICKET_HOLDERS:
        ticket = {"appRefreshToken": _app_ticket(world)["refreshToken"]}
    if route.function == "ChangePasswordsFunction":  # the sample's item names the sample's account
        items = json.loads(event["body"])
        items["items"][0]["accountId"] = account_id
        event["body"] = json.dumps(items)
    return Prepared(route, _localised(event, world, account_id, ticket), account_id)


def assert_sample_succeeded(sample: Prepared, response: dict[str, Any]) -> None:
    """What each sample's reply must be: the catch-all route exists to answer Kibo's 404; every
    other sample succeeds, with the shopper's own account where it returns one."""
    function = sample.route.function
    expected = 404 if function == "NotFoundFunction" else 204 if function in NO_CONTENT else 200
    assert response["statusCode"] == expected, response.get("body")
    assert response["headers"]["x-vol-correlation"] == sample.event["headers"].get(
        "x-vol-correlation", response["headers"]["x-vol-correlation"]
    )
    if expected == 204 or function in EMPTY_OK:
        assert not response.get("body")
    else:
        body = json.loads(response["body"])
        assert body
        if function in SHOPPERS_OWN_ACCOUNT:
            assert body.get("customerAccount", body)["id"] == sample.account_id
        if function == "ChangePasswordsFunction":
            assert body["items"] == [
                {"accountId": sample.account_id, "succeeded": True, "errorMessage": None}
            ]


@pytest.mark.parametrize("event_file", sorted(EVENTS.glob("*.json")), ids=lambda p: p.stem)
def test_event_file_succeeds_against_its_handler(world: World, event_file: Path) -> None:
    sample = prepared(world, event_file)

    with _only_the_environment_of(sample.route.function):
        response = world.api.router.invoke(sample.route, sample.event)

    assert_sample_succeeded(sample, response)


@contextmanager
def _only_the_environment_of(function: str) -> Iterator[None]:
    """Without the variables template.yaml gives only to other functions, as in AWS: a function
    that needs one it is not given fails here."""
    others = {
        name
        for route in sam_template.routes()
        if route.function != function
        for name in sam_template.own_environment(route.function)
    } - set(sam_template.own_environment(function))
    saved = {name: os.environ.pop(name) for name in others if name in os.environ}
    _forget_configuration()
    try:
        yield
    finally:
        os.environ.update(saved)
        _forget_configuration()


def _forget_configuration() -> None:
    settings.cache_clear()
    runtime.code_outbox.cache_clear()


def _waiting_ticket(world: World, *, with_code: bool) -> dict[str, Any]:
    """The sign-in sample's ticket when the tenant asks for 2FA always (and, ``with_code``, the
    code the mailer got for it)."""
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, two_factor_policy=TwoFactorPolicy(always=True)))
    credentials = json.loads(_sample("sign_in")["body"])
    signed_in = world.api.call(
        "POST", "/api/commerce/customer/authtickets", credentials, token=world.app_token()
    )
    assert signed_in.status == 200, signed_in.text
    ticket: dict[str, Any] = signed_in.json
    assert ticket["requires2FA"] is True
    if with_code:
        sent = world.api.call(
            "POST",
            "/api/commerce/customer/authtickets/2fa/request",
            token=world.app_token(),
            headers={"x-vol-user-claims": ticket["accessToken"]},
        )
        assert sent.status == 204, sent.text
        (ticket["otpCode"],) = world.mailer.codes()
    return ticket


def _reset_code(world: World) -> str:
    """The confirmation code the mailer got for the Create-Login sample's login."""
    email = json.loads(_sample("create_login")["body"])["emailAddress"]
    path = "/api/commerce/customer/accounts/Reset-Password"
    sent = world.api.call("POST", path, {"emailAddress": email}, token=world.app_token())
    assert sent.status == 200, sent.text
    (code,) = world.mailer.reset_codes()
    return code


def _passwordless_code(world: World, *, with_code: bool) -> str | None:
    """Passwordless sign-in turned on for the tenant and (``with_code``) the code the mailer got
    for the Create-Login sample's login."""
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    policy = replace(tenant.sign_in_policy, passwordless_sign_in=True)
    provision_tenant(store, replace(tenant, sign_in_policy=policy))
    if not with_code:
        return None
    path = "/api/commerce/customer/authtickets/otp/request"
    sent = world.api.call("POST", path, json.loads(_sample("otp_request")["body"]), token=world.app_token())
    assert sent.status == 204, sent.text
    (code,) = world.mailer.otp_sign_in_codes()
    return code


def _app_ticket(world: World) -> dict[str, Any]:
    """An older-style app ticket of the full client, as the app-ticket sample asks for one."""
    client = world.clients["full"]
    credentials = {"applicationId": client.client_id, "sharedSecret": client.secret}
    issued = world.api.call("POST", "/api/platform/applications/authtickets", credentials)
    assert issued.status == 200, issued.text
    ticket: dict[str, Any] = issued.json
    return ticket


def _sample(name: str) -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return sample
