"""Two-factor sign-in (CONTRACT.md §7, issue 4) through the handlers: the tenant's policy, the
waiting session, codes from the mailer's queue, trust of devices and regions."""

from dataclasses import replace
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.provisioning import provision_tenant
from customer_auth.domain.tenants import TwoFactorPolicy
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import TENANT_ID, FrozenClock, HttpResult, World

PASSWORD = "correct horse battery staple"
EMAIL = "shopper@example.com"
SIGN_IN = "/api/commerce/customer/authtickets"
REQUEST_CODE = "/api/commerce/customer/authtickets/2fa/request"
VERIFY_CODE = "/api/commerce/customer/authtickets/2fa/auth"
CURRENT = "/api/commerce/customer/accounts/current"


def set_policy(**policy: bool) -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, two_factor_policy=TwoFactorPolicy(**policy)))


def registered(world: World, app: str, **device: str) -> int:
    account_id: int = world.add_account(app, emailAddress=EMAIL)["id"]
    ok(world.create_login(account_id, {"emailAddress": EMAIL, "password": PASSWORD, **device}, token=app))
    return account_id


def sign_in(world: World, app: str, **device: str) -> HttpResult:
    body = {"username": EMAIL, "password": PASSWORD, **device}
    return world.api.call("POST", SIGN_IN, body, token=app)


def request_code(world: World, app: str, access_token: str) -> HttpResult:
    return world.api.call("POST", REQUEST_CODE, token=app, headers={"x-vol-user-claims": access_token})


def verify(world: World, app: str, access_token: str, user_id: str, code: Any) -> HttpResult:
    return world.api.call(
        "POST",
        VERIFY_CODE,
        {"userId": user_id, "otpCode": code},
        token=app,
        headers={"x-vol-user-claims": access_token},
    )


@pytest.fixture
def app(world: World) -> str:
    return world.app_token()


def test_fingerprint_policy_asks_on_a_new_device_once_and_then_trusts_it(
    world: World, app: str, clock: FrozenClock
) -> None:
    set_policy(on_new_fingerprint=True)
    registered(world, app, fingerprint="device-A", region="US")

    known = ok(sign_in(world, app, fingerprint="device-A", region="US"))
    assert known["requires2FA"] is False
    assert known["refreshToken"]

    waiting = ok(sign_in(world, app, fingerprint="device-B", region="US"))
    assert waiting["requires2FA"] is True
    assert waiting["refreshToken"] is None
    assert waiting["jwtAccessToken"] is None
    assert_error(
        world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": waiting["accessToken"]}),
        401,
        "UNAUTHORIZED",
    )

    assert request_code(world, app, waiting["accessToken"]).status == 204
    (code,) = world.mailer.codes()
    assert len(code) == 6
    assert code.isdigit()

    full = ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))
    assert full["requires2FA"] is False
    assert full["refreshToken"]
    assert full["jwtAccessToken"]
    assert full["customerAccount"]["last2FaDate"]

    again = ok(sign_in(world, app, fingerprint="device-B", region="US"))
    assert again["requires2FA"] is False
    assert again["refreshToken"]
