"""Lockout (docs/contract.md §7) through the handlers: consecutive failures lock a login for a cooldown
that doubles on repeat up to a cap, the operator's Set-Login-Locked, and LoginState."""

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.tenants.policies import SignInPolicy
from customer_auth.models.auth import CustomerAuthTicket, CustomerUserAuthInfo
from tests.support.assertions import assert_error, kibo_time, ok
from tests.support.fixtures import TENANT_ID, FrozenClock, HttpResult, World
from tests.support.races import SerializedClient, race

PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "incorrect horse battery staple"
EMAIL = "shopper@example.com"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = "/api/commerce/customer/authtickets/refresh"
ACCOUNTS = "/api/commerce/customer/accounts"
CURRENT = "/api/commerce/customer/accounts/current"
LIMIT = 5


# -- helpers ----------------------------------------------------------------------------------------
def registered(world: World, app: str, email: str = EMAIL) -> int:
    account_id: int = world.add_account(app, emailAddress=email)["id"]
    result = world.create_login(account_id, {"emailAddress": email, "password": PASSWORD}, token=app)
    assert result.status == 200, result.text
    return account_id


def sign_in(world: World, app: str, password: str = PASSWORD, email: str = EMAIL) -> HttpResult:
    headers = {"x-vol-correlation": "lockout"}  # so that refusals can be compared byte for byte
    return world.api.call(
        "POST", SIGN_IN, {"username": email, "password": password}, token=app, headers=headers
    )


def refused(result: HttpResult) -> bool:
    if result.status != 401:
        return False
    assert result.json["errorCode"] == "INVALID_CREDENTIALS", result.text
    return True


def fail(world: World, app: str, times: int, email: str = EMAIL) -> list[HttpResult]:
    results = [sign_in(world, app, WRONG_PASSWORD, email) for _ in range(times)]
    assert all(refused(result) for result in results), [result.text for result in results]
    return results


def login_state(world: World, app: str, account_id: int) -> dict[str, Any]:
    return ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app))


def is_locked(world: World, app: str, account_id: int) -> bool:
    locked: bool = login_state(world, app, account_id)["isLocked"]
    return locked


def set_locked(
    world: World, app: str, account_id: int, body: Any = None, raw: bytes | None = None
) -> HttpResult:
    return world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", body, token=app, raw_body=raw)


def current(world: World, app: str, access_token: str) -> HttpResult:
    return world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": access_token})


def set_sign_in_policy(**policy: Any) -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, sign_in_policy=SignInPolicy(**policy)))


def lock_ends_after(world: World, app: str, account_id: int, clock: FrozenClock, minutes: int) -> str:
    """Lock the login with consecutive failures and check that it lasts exactly ``minutes``; the
    clock is left where the lock ended. Returns an app token valid then (an app token lives an hour)."""
    fail(world, app, LIMIT)
    clock.advance(minutes=minutes, seconds=-1)
    app = world.app_token()
    assert is_locked(world, app, account_id)
    assert refused(sign_in(world, app))
    clock.advance(seconds=1)
    assert not is_locked(world, app, account_id)
    return app


@pytest.fixture
def app(world: World) -> str:
    return world.app_token("full")


# -- lock after consecutive failures ----------------------------------------------------------------
def test_five_wrong_passwords_lock_the_login_until_the_cooldown_ends(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id = registered(world, app)
    unknown = sign_in(world, app, email="nobody@example.com")
    first_failure = clock.now
    results = []
    for _ in range(LIMIT):
        results.append(sign_in(world, app, WRONG_PASSWORD))
        clock.advance(minutes=1)
    locked_at = clock.now - timedelta(minutes=1)

    assert all(refused(result) for result in results)
    assert {result.text for result in results} == {unknown.text}  # the locking reply included
    correct = sign_in(world, app)
    assert refused(correct)
    assert correct.text == unknown.text
    state = login_state(world, app, account_id)
    assert state["isLocked"] is True
    assert state["failedLoginAttemptCount"] == LIMIT
    assert state["remainingLoginAttempts"] == 0
    assert state["lastLockedOn"] == kibo_time(locked_at)
    assert state["firstFailedLoginAttemptOn"] == kibo_time(first_failure)
    assert state["lastLoginOn"] is None

    clock.advance(minutes=13)  # 15 minutes after the lock, less a minute
    assert refused(sign_in(world, app))
    clock.advance(minutes=1)

    ticket = ok(sign_in(world, app))
    assert ticket["customerAccount"]["id"] == account_id
    state = login_state(world, app, account_id)
    assert state["isLocked"] is False
    assert state["failedLoginAttemptCount"] == 0
    assert state["remainingLoginAttempts"] == LIMIT
    assert state["firstFailedLoginAttemptOn"] is None
    assert state["lastLoginOn"] == kibo_time(clock.now)
    assert state["lastLockedOn"] == kibo_time(locked_at)


def test_a_lock_that_has_run_out_starts_a_fresh_count(world: World, app: str, clock: FrozenClock) -> None:
    account_id = registered(world, app)
    fail(world, app, LIMIT)
    clock.advance(minutes=15)

    state = login_state(world, app, account_id)
    assert state["isLocked"] is False
    assert state["failedLoginAttemptCount"] == 0
    assert state["remainingLoginAttempts"] == LIMIT
    fail(world, app, 1)
    state = login_state(world, app, account_id)
    assert state["failedLoginAttemptCount"] == 1
    assert state["remainingLoginAttempts"] == LIMIT - 1
    assert state["firstFailedLoginAttemptOn"] == kibo_time(clock.now)


def test_a_repeated_lock_doubles_the_cooldown_and_a_success_resets_it(
    world: World, app: str, clock: FrozenClock
) -> None:
    set_sign_in_policy(max_lockout_minutes=60)
    account_id = registered(world, app)
    app = lock_ends_after(world, app, account_id, clock, 15)

    fail(world, app, LIMIT)
    clock.advance(minutes=29)
    app = world.app_token()
    assert is_locked(world, app, account_id)
    assert refused(sign_in(world, app))
    clock.advance(minutes=1)
    assert not is_locked(world, app, account_id)

    ok(sign_in(world, app))
    app = lock_ends_after(world, app, account_id, clock, 15)
    ok(sign_in(world, app))


@pytest.mark.parametrize(
    ("policy", "cooldowns"),
    [
        ({}, [15, 15, 15]),
        ({"max_lockout_minutes": 1440}, [15, 30, 60, 120, 240, 480, 960, 1440, 1440]),
        ({"lockout_minutes": 500, "max_lockout_minutes": 1440}, [500, 1000, 1440, 1440]),
        ({"lockout_minutes": 1, "max_lockout_minutes": 3}, [1, 2, 3, 3, 3]),
    ],
    ids=["default-policy", "day-cap", "long-first-lock", "small-cap"],
)
def test_the_doubling_stops_at_the_cap_which_is_15_minutes_unless_the_tenant_sets_it(
    world: World, app: str, clock: FrozenClock, policy: dict[str, int], cooldowns: list[int]
) -> None:
    set_sign_in_policy(**policy)
    account_id = registered(world, app)

    for minutes in cooldowns:
        app = lock_ends_after(world, app, account_id, clock, minutes)

    ok(sign_in(world, app))


def test_a_success_resets_the_failure_count(world: World, app: str, clock: FrozenClock) -> None:
    account_id = registered(world, app)
    fail(world, app, LIMIT - 1)
    clock.advance(minutes=1)
    ok(sign_in(world, app))
    assert login_state(world, app, account_id)["failedLoginAttemptCount"] == 0

    fail(world, app, LIMIT - 1)

    state = login_state(world, app, account_id)
    assert state["isLocked"] is False
    assert state["failedLoginAttemptCount"] == LIMIT - 1
    assert state["remainingLoginAttempts"] == 1
    ok(sign_in(world, app))


def test_failures_during_a_lock_are_not_counted_and_do_not_extend_it(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id = registered(world, app)
    fail(world, app, LIMIT)
    state = login_state(world, app, account_id)
    before = world.scan()

    for _ in range(10):
        clock.advance(minutes=1)
        fail(world, app, 1)

    assert world.scan() == before
    assert login_state(world, app, account_id) == state
    clock.advance(minutes=4, seconds=59)
    assert refused(sign_in(world, app))
    clock.advance(seconds=1)
    ok(sign_in(world, app))


def test_another_logins_failures_do_not_count_against_this_one(world: World, app: str) -> None:
    account_id = registered(world, app)
    registered(world, app, email="neighbour@example.com")

    fail(world, app, LIMIT, email="neighbour@example.com")
    fail(world, app, LIMIT, email="nobody@example.com")

    state = login_state(world, app, account_id)
    assert state["failedLoginAttemptCount"] == 0
    assert state["remainingLoginAttempts"] == LIMIT
    ok(sign_in(world, app))


# -- Set-Login-Locked -------------------------------------------------------------------------------
def test_the_operator_lock_refuses_sign_in_and_ends_every_session_until_unlocked(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id = registered(world, app)
    sessions = [ok(sign_in(world, app)) for _ in range(2)]
    unknown = sign_in(world, app, email="nobody@example.com")
    clock.advance(minutes=1)

    locked = set_locked(world, app, account_id, raw=b"true")

    assert locked.status == 204, locked.text
    assert locked.text == ""
    refusal = sign_in(world, app)
    assert refused(refusal)
    assert refusal.text == unknown.text
    state = login_state(world, app, account_id)
    assert state["isLocked"] is True
    assert state["remainingLoginAttempts"] == 0
    assert state["lastLockedOn"] == kibo_time(clock.now)
    account = ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))
    assert account["isLocked"] is True
    for ticket in sessions:
        assert_error(current(world, app, ticket["accessToken"]), 401, "UNAUTHORIZED")
        assert world.api.call("GET", CURRENT, token=ticket["jwtAccessToken"]).status == 401
        refreshed = world.api.call("PUT", REFRESH, token=app, query={"refreshToken": ticket["refreshToken"]})
        assert_error(refreshed, 401, "INVALID_TOKEN")
    clock.advance(days=30)  # an operator's lock has no cooldown
    app = world.app_token()
    assert refused(sign_in(world, app))

    unlocked = set_locked(world, app, account_id, False)

    assert unlocked.status == 204, unlocked.text
    ticket = ok(sign_in(world, app))
    assert login_state(world, app, account_id)["isLocked"] is False
    assert ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))["isLocked"] is False
    assert ok(current(world, app, ticket["accessToken"]))["id"] == account_id
    for old in sessions:  # unlocking does not bring the old sessions back
        assert current(world, app, old["accessToken"]).status == 401


def test_unlocking_lifts_a_failure_lock_and_forgets_the_failures(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id = registered(world, app)
    fail(world, app, LIMIT)

    assert set_locked(world, app, account_id, False).status == 204

    state = login_state(world, app, account_id)
    assert state["isLocked"] is False
    assert state["failedLoginAttemptCount"] == 0
    assert state["remainingLoginAttempts"] == LIMIT
    ok(sign_in(world, app))


def test_locking_twice_and_unlocking_an_unlocked_login_are_harmless(world: World, app: str) -> None:
    account_id = registered(world, app)

    assert set_locked(world, app, account_id, False).status == 204
    assert set_locked(world, app, account_id, True).status == 204
    assert set_locked(world, app, account_id, True).status == 204
    assert is_locked(world, app, account_id)
    assert set_locked(world, app, account_id, False).status == 204
    ok(sign_in(world, app))


@pytest.mark.parametrize(
    "raw",
    [b'"yes"', b'{"locked": true}', b'"1"', b"[true]", b'"true"', b"1", b"null", b"", b"tru"],
    ids=["yes", "object", "string-1", "list", "string-true", "number", "null", "empty", "malformed"],
)
def test_set_login_locked_takes_only_a_bare_boolean(world: World, app: str, raw: bytes) -> None:
    account_id = registered(world, app)
    before = world.scan()

    result = set_locked(world, app, account_id, raw=raw)

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert world.scan() == before
    ok(sign_in(world, app))


def test_set_login_locked_on_an_account_without_a_login_is_404(world: World, app: str) -> None:
    account_id = world.add_account(app)["id"]

    assert_error(set_locked(world, app, account_id, True), 404, "ITEM_NOT_FOUND")


def test_set_login_locked_on_an_unknown_account_is_404(world: World, app: str) -> None:
    assert_error(set_locked(world, app, 2_000_000_000, True), 404, "ITEM_NOT_FOUND")


def test_set_login_locked_needs_the_account_update_behavior(world: World, app: str) -> None:
    account_id = registered(world, app)

    result = set_locked(world, world.app_token("reader"), account_id, True)

    assert_error(result, 403, "FORBIDDEN")
    assert not is_locked(world, app, account_id)
    ok(sign_in(world, app))


# -- LoginState -------------------------------------------------------------------------------------
def test_a_fresh_logins_state(world: World, app: str, clock: FrozenClock) -> None:
    account_id = registered(world, app)
    created_at = clock.now
    clock.advance(minutes=1)

    state = login_state(world, app, account_id)

    assert state["isLocked"] is False
    assert state["failedLoginAttemptCount"] == 0
    assert state["remainingLoginAttempts"] == LIMIT
    assert state["createdOn"] == kibo_time(created_at)
    assert state["firstFailedLoginAttemptOn"] is None
    assert state["lastLockedOn"] is None
    assert state["isPasswordChangeRequired"] is False


def test_login_state_is_readable_with_the_account_read_behavior_alone(world: World, app: str) -> None:
    account_id = registered(world, app)

    state = login_state(world, world.app_token("reader"), account_id)

    assert state["isLocked"] is False


def test_login_state_of_an_unknown_account_is_404(world: World, app: str) -> None:
    result = world.api.call("GET", f"{ACCOUNTS}/2000000000/loginstate", token=app)

    assert_error(result, 404, "ITEM_NOT_FOUND")


def test_login_state_of_an_account_without_a_login_is_404(world: World, app: str) -> None:
    account_id = world.add_account(app)["id"]

    result = world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app)

    assert_error(result, 404, "ITEM_NOT_FOUND")


def test_the_tenants_limit_sets_the_remaining_attempts_and_the_lock(world: World, app: str) -> None:
    set_sign_in_policy(max_failed_attempts=3)
    account_id = registered(world, app)

    assert login_state(world, app, account_id)["remainingLoginAttempts"] == 3
    fail(world, app, 2)
    assert login_state(world, app, account_id)["remainingLoginAttempts"] == 1
    fail(world, app, 1)

    state = login_state(world, app, account_id)
    assert state["isLocked"] is True
    assert state["failedLoginAttemptCount"] == 3
    assert state["remainingLoginAttempts"] == 0
    assert refused(sign_in(world, app))


# -- concurrency ------------------------------------------------------------------------------------
SIGNER = Caller("racing-app", TENANT_ID, None, frozenset({Behavior.TICKET_CREATE.value}))
Outcome = CustomerAuthTicket | Exception


def sign_in_call(password: str) -> Callable[[], Outcome]:
    info = CustomerUserAuthInfo(username=EMAIL, password=password)

    def call() -> Outcome:
        try:
            return runtime.sign_in_service().sign_in(SIGNER, None, info)
        except Exception as error:  # the outcome is what the test checks
            return error

    return call


def outcome_names(outcomes: list[Outcome]) -> list[str]:
    return [type(outcome).__name__ for outcome in outcomes]


@pytest.mark.parametrize("interleaving", ["free-running", "all-reads-before-any-write"])
def test_concurrent_failures_count_exactly_as_sequential_ones(
    world: World, app: str, clock: FrozenClock, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    sequential = registered(world, app, email="sequential@example.com")
    fail(world, app, LIMIT, email="sequential@example.com")
    expected = login_state(world, app, sequential)
    account_id = registered(world, app)
    if interleaving == "all-reads-before-any-write":
        serialized_dynamodb.in_lockstep(LIMIT)

    outcomes = race([sign_in_call(WRONG_PASSWORD) for _ in range(LIMIT)])

    state = login_state(world, app, account_id)
    assert (outcome_names(outcomes), state["failedLoginAttemptCount"], state["isLocked"]) == (
        ["InvalidCredentials"] * LIMIT,
        LIMIT,
        True,
    ), outcomes
    ignored = {"createdOn", "updatedOn"}
    assert {k: v for k, v in state.items() if k not in ignored} == {
        k: v for k, v in expected.items() if k not in ignored
    }
    assert refused(sign_in(world, app))
    clock.advance(minutes=15)
    ok(sign_in(world, app))


def test_concurrent_failures_beyond_the_limit_lock_once(
    world: World, app: str, clock: FrozenClock, serialized_dynamodb: SerializedClient
) -> None:
    set_sign_in_policy(max_lockout_minutes=60)  # so that a doubled lock would show
    account_id = registered(world, app)

    outcomes = race([sign_in_call(WRONG_PASSWORD) for _ in range(2 * LIMIT)])

    state = login_state(world, app, account_id)
    assert (outcome_names(outcomes), state["failedLoginAttemptCount"], state["isLocked"]) == (
        ["InvalidCredentials"] * (2 * LIMIT),
        LIMIT,
        True,
    ), outcomes
    clock.advance(minutes=15)  # one lock of 15 minutes, not a doubled one
    ok(sign_in(world, app))


OPERATOR = Caller("operator-app", TENANT_ID, None, frozenset({Behavior.ACCOUNT_UPDATE.value}))


@pytest.mark.parametrize("interleaving", ["free-running", "all-reads-before-any-write"])
def test_an_operator_lock_lands_while_failed_sign_ins_race_for_the_login(
    world: World, app: str, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    account_id = registered(world, app)
    if interleaving == "all-reads-before-any-write":
        serialized_dynamodb.in_lockstep(LIMIT)

    def lock() -> Outcome:
        try:
            runtime.credential_service().set_locked(OPERATOR, account_id, True)
        except Exception as error:  # the outcome is what the test checks
            return error
        return None  # type: ignore[return-value]

    def lock_writing_last() -> Outcome:
        # The lock loses every round it can: each failed sign-in writes before it.
        threading.current_thread().name = "operator"
        return lock()

    serialized_dynamodb.writes_last = "operator"
    outcomes = race([lock_writing_last] + [sign_in_call(WRONG_PASSWORD) for _ in range(LIMIT - 1)])

    assert outcomes[0] is None, outcomes[0]
    assert outcome_names(outcomes[1:]) == ["InvalidCredentials"] * (LIMIT - 1)
    assert is_locked(world, app, account_id)
    assert ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))["isLocked"] is True
