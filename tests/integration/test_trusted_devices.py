"""Lockout an attacker cannot turn against the customer (issue 16) through the handlers: failures
from clients the login does not trust share one count and one lock; each trusted fingerprint has
its own. So a customer on a trusted device signs in while an attack holds the login locked."""

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.tenants.policies import SignInPolicy, TwoFactorPolicy
from customer_auth.models.auth import CustomerAuthTicket, CustomerUserAuthInfo
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import TENANT_ID, FrozenClock, HttpResult, World
from tests.support.races import SerializedClient, race

PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "incorrect horse battery staple"
NEW_PASSWORD = "a brand new passphrase of ours"
EMAIL = "shopper@example.com"
LAPTOP = "3f9c1b2e-laptop-cookie"
PHONE = "8d0e77aa-phone-cookie"
ACCOUNTS = "/api/commerce/customer/accounts"
SIGN_IN = "/api/commerce/customer/authtickets"
LIMIT = 5


@pytest.fixture
def app(world: World) -> str:
    return world.app_token("full")


def registered(world: World, app: str, fingerprint: str | None = LAPTOP) -> int:
    """A login created from the customer's laptop, which it therefore trusts."""
    account_id: int = world.add_account(app, emailAddress=EMAIL)["id"]
    body: dict[str, Any] = {"emailAddress": EMAIL, "password": PASSWORD}
    if fingerprint is not None:
        body["fingerprint"] = fingerprint
    ok(world.create_login(account_id, body, token=app))
    return account_id


def sign_in(
    world: World, app: str, password: str = PASSWORD, fingerprint: str | None = None, email: str = EMAIL
) -> HttpResult:
    body: dict[str, Any] = {"username": email, "password": password}
    if fingerprint is not None:
        body["fingerprint"] = fingerprint
    headers = {"x-vol-correlation": "trusted-devices"}  # so that refusals compare byte for byte
    return world.api.call("POST", SIGN_IN, body, token=app, headers=headers)


def refused_like_an_unknown_user(world: World, app: str, result: HttpResult) -> None:
    assert_error(result, 401, "INVALID_CREDENTIALS")
    assert result.text == sign_in(world, app, email="nobody@example.com").text


def fail(world: World, app: str, times: int, fingerprint: str | None = None) -> None:
    for _ in range(times):
        assert_error(sign_in(world, app, WRONG_PASSWORD, fingerprint), 401, "INVALID_CREDENTIALS")


def login_state(world: World, app: str, account_id: int) -> dict[str, Any]:
    return ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app))


def set_policies(
    sign_in_policy: SignInPolicy | None = None, two_factor: TwoFactorPolicy | None = None
) -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    tenant = replace(tenant, sign_in_policy=sign_in_policy or tenant.sign_in_policy)
    provision_tenant(store, replace(tenant, two_factor_policy=two_factor or tenant.two_factor_policy))


# -- the attack the issue describes -----------------------------------------------------------------
def test_while_an_attack_holds_untrusted_sign_ins_locked_the_trusted_device_signs_in(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id = registered(world, app)
    fail(world, app, LIMIT)  # the attacker, who knows only the email

    refused_like_an_unknown_user(world, app, sign_in(world, app))  # the right password, untrusted
    ticket = ok(sign_in(world, app, fingerprint=LAPTOP))
    assert ticket["customerAccount"]["id"] == account_id

    state = login_state(world, app, account_id)
    assert (state["isLocked"], state["failedLoginAttemptCount"], state["lockedTrustedDeviceCount"]) == (
        True,
        LIMIT,
        0,
    )
    # The customer's success hands the attacker no fresh guesses: the untrusted lock runs its course.
    refused_like_an_unknown_user(world, app, sign_in(world, app, fingerprint=PHONE))
    clock.advance(minutes=15)
    ok(sign_in(world, app))


def test_a_spoofed_fingerprint_counts_with_the_untrusted_clients(world: World, app: str) -> None:
    account_id = registered(world, app)
    for n in range(LIMIT):
        fail(world, app, 1, fingerprint=f"guessed-device-{n}")

    assert login_state(world, app, account_id)["isLocked"] is True
    refused_like_an_unknown_user(world, app, sign_in(world, app, fingerprint="guessed-device-0"))
    ok(sign_in(world, app, fingerprint=LAPTOP))


def test_wrong_passwords_from_a_trusted_fingerprint_lock_that_fingerprint_only(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id = registered(world, app)
    ok(sign_in(world, app, fingerprint=PHONE))  # the phone is trusted from now on (no 2FA asked)
    fail(world, app, LIMIT, fingerprint=LAPTOP)  # someone who knows the laptop's fingerprint

    refused_like_an_unknown_user(world, app, sign_in(world, app, fingerprint=LAPTOP))
    state = login_state(world, app, account_id)
    assert (state["isLocked"], state["failedLoginAttemptCount"], state["lockedTrustedDeviceCount"]) == (
        False,
        0,
        1,
    )
    assert state["lastLockedOn"] is not None
    ok(sign_in(world, app, fingerprint=PHONE))
    ok(sign_in(world, app))  # an untrusted client is held to its own count, which is clear

    clock.advance(minutes=15)
    ok(sign_in(world, app, fingerprint=LAPTOP))
    assert login_state(world, app, account_id)["lockedTrustedDeviceCount"] == 0


def test_failures_during_a_lock_do_not_lengthen_it_for_either_count(
    world: World, app: str, clock: FrozenClock
) -> None:
    registered(world, app)
    fail(world, app, LIMIT)
    fail(world, app, LIMIT, fingerprint=LAPTOP)
    clock.advance(minutes=10)
    fail(world, app, 3 * LIMIT)
    fail(world, app, 3 * LIMIT, fingerprint=LAPTOP)

    clock.advance(minutes=5)

    ok(sign_in(world, app))
    ok(sign_in(world, app, fingerprint=LAPTOP))


def test_each_count_doubles_its_own_cooldown(world: World, app: str, clock: FrozenClock) -> None:
    set_policies(SignInPolicy(max_lockout_minutes=60))
    registered(world, app)
    fail(world, app, LIMIT)
    clock.advance(minutes=15)
    fail(world, app, LIMIT)  # the untrusted clients' second lock: 30 minutes
    fail(world, app, LIMIT, fingerprint=LAPTOP)  # the laptop's first: 15 minutes

    clock.advance(minutes=15)
    ok(sign_in(world, app, fingerprint=LAPTOP))
    refused_like_an_unknown_user(world, app, sign_in(world, app))
    clock.advance(minutes=15)
    ok(sign_in(world, app))


# -- everything else unchanged ----------------------------------------------------------------------
def test_an_operator_lock_stops_trusted_devices_too(world: World, app: str) -> None:
    account_id = registered(world, app)
    locked = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", True, token=app)
    assert locked.status == 204

    refused_like_an_unknown_user(world, app, sign_in(world, app, fingerprint=LAPTOP))
    refused_like_an_unknown_user(world, app, sign_in(world, app))

    unlocked = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", False, token=app)
    assert unlocked.status == 204
    ok(sign_in(world, app, fingerprint=LAPTOP))


def test_unlocking_clears_both_counts(world: World, app: str) -> None:
    account_id = registered(world, app)
    fail(world, app, LIMIT)
    fail(world, app, LIMIT, fingerprint=LAPTOP)
    assert world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", False, token=app).status == 204

    state = login_state(world, app, account_id)
    assert (state["isLocked"], state["failedLoginAttemptCount"], state["lockedTrustedDeviceCount"]) == (
        False,
        0,
        0,
    )
    ok(sign_in(world, app))
    ok(sign_in(world, app, fingerprint=LAPTOP))


def test_update_forgotten_password_clears_both_kinds_of_lock(world: World, app: str) -> None:
    account_id = registered(world, app)
    fail(world, app, LIMIT)
    fail(world, app, LIMIT, fingerprint=LAPTOP)
    world.mailer.events()
    assert (
        world.api.call("POST", f"{ACCOUNTS}/Reset-Password", {"emailAddress": EMAIL}, token=app).status == 200
    )
    (code,) = world.mailer.reset_codes()

    body = {"userName": EMAIL, "confirmationCode": code, "newPassword": NEW_PASSWORD}
    assert world.api.call("POST", f"{ACCOUNTS}/Update-Forgotten-Password", body, token=app).status == 200

    state = login_state(world, app, account_id)
    assert (state["isLocked"], state["failedLoginAttemptCount"], state["lockedTrustedDeviceCount"]) == (
        False,
        0,
        0,
    )
    ok(sign_in(world, app, NEW_PASSWORD))
    ok(sign_in(world, app, NEW_PASSWORD, fingerprint=LAPTOP))


def test_change_password_is_held_to_the_untrusted_count(world: World, app: str, clock: FrozenClock) -> None:
    """The storefront's app sends no fingerprint: Change-Password meets the untrusted lock (403,
    right or wrong old password) and counts its failures there, never on a device's count."""
    account_id = registered(world, app)
    url = f"{ACCOUNTS}/{account_id}/Change-Password"
    fail(world, app, LIMIT, fingerprint=LAPTOP)
    body = {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    assert world.api.call("POST", url, body, token=app).status == 204  # the laptop's lock is not its

    for _ in range(LIMIT):
        wrong = {"oldPassword": WRONG_PASSWORD, "newPassword": PASSWORD + " again"}
        assert_error(world.api.call("POST", url, wrong, token=app), 401, "INVALID_CREDENTIALS")
    right = {"oldPassword": NEW_PASSWORD, "newPassword": PASSWORD + " again"}
    assert_error(world.api.call("POST", url, right, token=app), 403, "FORBIDDEN")
    assert login_state(world, app, account_id)["isLocked"] is True
    refused_like_an_unknown_user(world, app, sign_in(world, app, NEW_PASSWORD, fingerprint=LAPTOP))
    clock.advance(minutes=15)  # a password change forgets failures, not a running cooldown
    ok(sign_in(world, app, NEW_PASSWORD, fingerprint=LAPTOP))


def test_two_factor_still_asks_a_new_device_and_the_untrusted_lock_comes_first(
    world: World, app: str
) -> None:
    set_policies(two_factor=TwoFactorPolicy(on_new_fingerprint=True))
    registered(world, app)

    assert ok(sign_in(world, app, fingerprint=PHONE))["requires2FA"] is True
    assert ok(sign_in(world, app, fingerprint=LAPTOP))["requires2FA"] is False
    fail(world, app, LIMIT, fingerprint=PHONE)  # untrusted until its code is given

    refused_like_an_unknown_user(world, app, sign_in(world, app, fingerprint=PHONE))
    assert ok(sign_in(world, app, fingerprint=LAPTOP))["requires2FA"] is False


def test_a_login_keeps_at_most_one_count_per_trusted_fingerprint(world: World, app: str) -> None:
    """Counts are kept only for trusted fingerprints, which are at most ten: an attacker naming
    fresh fingerprints adds nothing to the item."""
    account_id = registered(world, app)
    for n in range(3 * LIMIT):
        sign_in(world, app, WRONG_PASSWORD, fingerprint=f"fresh-{n}")
    fail(world, app, 2, fingerprint=LAPTOP)

    (login,) = [item for item in world.scan() if item["sk"]["S"] == "LOGIN"]
    kept = login["deviceFailures"]["L"]
    assert len(kept) == 1
    assert LAPTOP not in str(login)  # the count is keyed by the fingerprint's digest
    assert login_state(world, app, account_id)["failedLoginAttemptCount"] == LIMIT


# -- concurrency ------------------------------------------------------------------------------------
SIGNER = Caller("racing-app", TENANT_ID, None, frozenset({Behavior.TICKET_CREATE.value}))
Outcome = CustomerAuthTicket | Exception


def sign_in_call(password: str, fingerprint: str | None) -> Callable[[], Outcome]:
    info = CustomerUserAuthInfo(username=EMAIL, password=password, fingerprint=fingerprint)

    def call() -> Outcome:
        try:
            return runtime.sign_in_service().sign_in(SIGNER, None, info)
        except Exception as error:  # the outcome is what the test checks
            return error

    return call


@pytest.mark.parametrize("interleaving", ["free-running", "all-reads-before-any-write"])
def test_concurrent_failures_count_once_per_count(
    world: World, app: str, clock: FrozenClock, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    set_policies(SignInPolicy(max_lockout_minutes=60))  # so that a doubled lock would show
    account_id = registered(world, app)
    calls = [sign_in_call(WRONG_PASSWORD, None) for _ in range(LIMIT)]
    calls += [sign_in_call(WRONG_PASSWORD, LAPTOP) for _ in range(LIMIT)]
    if interleaving == "all-reads-before-any-write":
        serialized_dynamodb.in_lockstep(len(calls))

    outcomes = race(calls)

    assert [type(outcome).__name__ for outcome in outcomes] == ["InvalidCredentials"] * len(calls), outcomes
    state = login_state(world, app, account_id)
    assert (state["isLocked"], state["failedLoginAttemptCount"], state["lockedTrustedDeviceCount"]) == (
        True,
        LIMIT,
        1,
    )
    clock.advance(minutes=15)  # one lock of 15 minutes each, not a doubled one
    ok(sign_in(world, app))
    ok(sign_in(world, app, fingerprint=LAPTOP))


def test_by_default_a_cooldown_never_exceeds_15_minutes(world: World, app: str, clock: FrozenClock) -> None:
    """Issue 16: an attacker who locks untrusted clients out again after every cooldown holds them
    15 minutes at a time, not up to a day."""
    registered(world, app)
    for _ in range(4):
        app = world.app_token("full")  # an app token lives an hour
        fail(world, app, LIMIT)
        clock.advance(minutes=14, seconds=59)
        refused_like_an_unknown_user(world, app, sign_in(world, app))
        clock.advance(seconds=1)
    ok(sign_in(world, app))


def test_a_completed_sign_in_trusts_its_fingerprint_so_it_escapes_a_later_attack(
    world: World, app: str
) -> None:
    """A login created without a fingerprint (by the app, at checkout) gains a trusted device at
    the customer's first sign-in from their browser."""
    registered(world, app, fingerprint=None)
    ok(sign_in(world, app, fingerprint=PHONE))
    fail(world, app, LIMIT)

    refused_like_an_unknown_user(world, app, sign_in(world, app))
    ok(sign_in(world, app, fingerprint=PHONE))
    refused_like_an_unknown_user(world, app, sign_in(world, app, fingerprint=LAPTOP))
