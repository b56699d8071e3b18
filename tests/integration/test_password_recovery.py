"""Password recovery (docs/contract.md §9): Reset-Password sends a confirmation code through the
outbox, Update-Forgotten-Password sets a new password with it; neither tells who has a login."""

import hashlib
import json
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.api.settings import settings
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.kernel.errors import InvalidCredentials
from customer_auth.domain.tenants.policies import SignInPolicy
from customer_auth.models.auth import ConfirmationInfo, CustomerResetPasswordInfo, CustomerUserAuthInfo
from tests.support.assertions import assert_error, kibo_time, ok
from tests.support.fixtures import SITE_ID, TENANT_ID, FrozenClock, HttpResult, World
from tests.support.races import SerializedClient, race

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 2"
EMAIL = "forgetful@example.com"
USERNAME = "forgetful"
ACCOUNTS = "/api/commerce/customer/accounts"
RESET = f"{ACCOUNTS}/Reset-Password"
UPDATE = f"{ACCOUNTS}/Update-Forgotten-Password"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = f"{SIGN_IN}/refresh"
CURRENT = f"{ACCOUNTS}/current"
URL_SAFE_256_BITS = re.compile(r"[A-Za-z0-9_-]{43}")
RACER = Caller("racing-app", TENANT_ID, None, frozenset(b.value for b in Behavior))


# -- helpers ----------------------------------------------------------------------------------------
@pytest.fixture
def app(world: World) -> str:
    return world.app_token("full")


def registered(world: World, app: str, email: str = EMAIL, username: str = USERNAME) -> tuple[int, Any]:
    account_id: int = world.add_account(app, emailAddress=email)["id"]
    body = {"emailAddress": email, "username": username, "password": PASSWORD}
    return account_id, ok(world.create_login(account_id, body, token=app))


def reset(world: World, app: str, **body: Any) -> HttpResult:
    return world.api.call("POST", RESET, body, token=app)


def update(world: World, app: str, code: str, password: str = NEW_PASSWORD, user: str = EMAIL) -> HttpResult:
    body = {"userName": user, "confirmationCode": code, "newPassword": password}
    return world.api.call("POST", UPDATE, body, token=app)


def sent_code(world: World, app: str, **body: Any) -> str:
    """Ask for a code (by email unless ``body`` says otherwise) and return the one the mailer got."""
    world.mailer.events()
    answered = reset(world, app, **(body or {"emailAddress": EMAIL}))
    assert (answered.status, answered.text) == (200, "")
    (code,) = world.mailer.reset_codes()
    return code


def sign_in(world: World, app: str, password: str, user: str = EMAIL) -> HttpResult:
    return world.api.call("POST", SIGN_IN, {"username": user, "password": password}, token=app)


def login_state(world: World, app: str, account_id: int) -> dict[str, Any]:
    return ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app))


def reset_items(world: World) -> list[dict[str, Any]]:
    return [item for item in world.scan() if item["sk"]["S"] == "CODE#RESET"]


def set_reset_minutes(minutes: int) -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    policy = SignInPolicy(password_reset_minutes=minutes)
    provision_tenant(store, replace(tenant, sign_in_policy=policy))


def without_correlation(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "correlationId"}


# -- Reset-Password ---------------------------------------------------------------------------------
def test_a_known_email_gets_a_256_bit_code_through_the_outbox_stored_only_as_a_digest(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id, ticket = registered(world, app)
    world.mailer.events()

    answered = reset(world, app, emailAddress=EMAIL.upper())

    assert (answered.status, answered.text) == (200, "")
    (event,) = world.mailer.events()
    assert (event["source"], event["detail-type"]) == ("customer-auth", "PasswordResetRequested")
    detail = event["detail"]
    code = detail.pop("confirmationCode")
    assert URL_SAFE_256_BITS.fullmatch(code)
    assert detail == {
        "tenantId": TENANT_ID,
        "siteId": SITE_ID,
        "accountId": account_id,
        "userId": ticket["userId"],
        "userName": USERNAME,
        "emailAddress": EMAIL,
        "expiresAt": (clock.now + timedelta(minutes=60)).isoformat(),
    }
    (item,) = reset_items(world)
    assert item["codeDigest"]["S"] == hashlib.sha256(code.encode()).hexdigest()
    assert int(item["expiresAt"]["N"]) >= int((clock.now + timedelta(minutes=60)).timestamp())
    assert code not in json.dumps(world.scan())


def test_the_user_name_finds_the_login_too(world: World, app: str) -> None:
    registered(world, app)
    assert sent_code(world, app, userName=USERNAME)
    world.mailer.events()


def test_an_unknown_login_gets_the_same_answer_and_nothing_is_written_or_sent(world: World, app: str) -> None:
    registered(world, app)
    world.mailer.events()
    before = world.scan()

    for body in ({"emailAddress": "nobody@example.com"}, {"userName": "nobody"}, {"emailAddress": USERNAME}):
        answered = reset(world, app, **body)
        assert (answered.status, answered.text) == (200, ""), body

    assert world.scan() == before
    assert world.mailer.events() == []


def test_a_tenants_reset_minutes_set_the_codes_life(world: World, app: str, clock: FrozenClock) -> None:
    set_reset_minutes(15)
    registered(world, app)
    world.mailer.events()
    assert reset(world, app, emailAddress=EMAIL).status == 200
    (event,) = world.mailer.events()
    assert event["detail"]["expiresAt"] == (clock.now + timedelta(minutes=15)).isoformat()
    code = event["detail"]["confirmationCode"]

    clock.advance(minutes=15)
    assert_error(update(world, app, code), 401, "INVALID_CREDENTIALS")


def test_one_code_a_minute_and_five_an_hour_beyond_which_nothing_is_sent(
    world: World, app: str, clock: FrozenClock
) -> None:
    registered(world, app)
    sent = [sent_code(world, app)]
    answered = reset(world, app, emailAddress=EMAIL)
    assert (answered.status, answered.text) == (200, "")
    assert world.mailer.events() == []
    for _ in range(4):
        clock.advance(minutes=1)
        sent.append(sent_code(world, app))
    clock.advance(minutes=1)
    assert reset(world, app, emailAddress=EMAIL).status == 200
    assert world.mailer.events() == []

    clock.advance(minutes=56)  # an hour after the first code, one may be sent again
    sent.append(sent_code(world, world.app_token()))
    assert len(set(sent)) == 6


def test_a_new_code_replaces_the_last(world: World, app: str, clock: FrozenClock) -> None:
    registered(world, app)
    first = sent_code(world, app)
    clock.advance(minutes=1)
    second = sent_code(world, app)

    assert_error(update(world, app, first), 401, "INVALID_CREDENTIALS")
    assert update(world, app, second).status == 200


def test_reset_needs_one_of_email_or_user_name_and_the_password_reset_behavior(
    world: World, app: str
) -> None:
    assert_error(reset(world, app), 400, "MISSING_OR_INVALID_PARAMETER", "emailAddress")
    assert_error(reset(world, app, emailAddress=""), 400, "MISSING_OR_INVALID_PARAMETER", "emailAddress")
    reader = world.app_token("reader")
    assert_error(reset(world, reader, emailAddress=EMAIL), 403, "FORBIDDEN")
    assert_error(update(world, reader, "x" * 43), 403, "FORBIDDEN")


# -- Update-Forgotten-Password ----------------------------------------------------------------------
def test_the_code_sets_a_new_password_and_ends_every_session(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id, ticket = registered(world, app)
    code = sent_code(world, app)
    clock.advance(minutes=5)

    answered = update(world, app, code, user=USERNAME)

    assert (answered.status, answered.text) == (200, "")
    assert sign_in(world, app, NEW_PASSWORD).status == 200
    assert_error(sign_in(world, app, PASSWORD), 401, "INVALID_CREDENTIALS")
    assert_error(
        world.api.call("PUT", REFRESH, {"refreshToken": ticket["refreshToken"]}, token=app),
        401,
        "INVALID_TOKEN",
    )
    stale = world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": ticket["accessToken"]})
    assert stale.status == 401
    state = login_state(world, app, account_id)
    assert state["lastPasswordChangeOn"] == kibo_time(clock.now)
    assert state["isPasswordChangeRequired"] is False
    assert_error(update(world, app, code, "yet another passphrase 3"), 401, "INVALID_CREDENTIALS")


def test_recovery_clears_failures_and_a_cooldown_but_not_an_operators_lock(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id, _ = registered(world, app)
    for _ in range(5):
        assert sign_in(world, app, "not the password at all").status == 401
    assert login_state(world, app, account_id)["isLocked"] is True

    assert update(world, app, sent_code(world, app)).status == 200

    state = login_state(world, app, account_id)
    assert (state["isLocked"], state["failedLoginAttemptCount"]) == (False, 0)
    assert sign_in(world, app, NEW_PASSWORD).status == 200

    lock = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", True, token=app)
    assert lock.status == 204
    clock.advance(minutes=1)
    assert update(world, app, sent_code(world, app), "a third long passphrase").status == 200
    assert login_state(world, app, account_id)["isLocked"] is True
    assert_error(sign_in(world, app, "a third long passphrase"), 401, "INVALID_CREDENTIALS")


def test_an_imported_hash_is_replaced_and_the_account_says_so(world: World, app: str) -> None:
    account_id: int = world.add_account(app, emailAddress=EMAIL)["id"]
    imported = "pbkdf2_sha256$1000$c2FsdHNhbHQ$" + "A" * 43 + "="
    body = {"emailAddress": EMAIL, "externalPassword": imported, "isImport": True}
    assert ok(world.create_login(account_id, body, token=app))["customerAccount"]["hasExternalPassword"]

    assert update(world, app, sent_code(world, app)).status == 200

    account = ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))
    assert account["hasExternalPassword"] is False
    assert sign_in(world, app, NEW_PASSWORD).status == 200


def test_wrong_expired_used_and_foreign_codes_and_unknown_users_get_one_answer(
    world: World, app: str, clock: FrozenClock
) -> None:
    registered(world, app)
    registered(world, app, "other@example.com", "other")
    foreign = sent_code(world, app, emailAddress="other@example.com")
    code = sent_code(world, app)
    answers = [
        update(world, app, foreign),
        update(world, app, code[:-1] + ("A" if code[-1] != "A" else "B")),
        update(world, app, code, user="nobody@example.com"),
        update(world, app, code, user="other"),
    ]
    clock.advance(minutes=61)
    app = world.app_token()
    answers.append(update(world, app, code))

    bodies = [without_correlation(assert_error(a, 401, "INVALID_CREDENTIALS")) for a in answers]
    assert all(body == bodies[0] for body in bodies)
    assert sign_in(world, app, PASSWORD).status == 200


def test_five_wrong_codes_spend_the_live_one(world: World, app: str) -> None:
    registered(world, app)
    code = sent_code(world, app)
    for _ in range(5):
        assert_error(update(world, app, "W" * 43), 401, "INVALID_CREDENTIALS")

    assert_error(update(world, app, code), 401, "INVALID_CREDENTIALS")
    assert sign_in(world, app, PASSWORD).status == 200


def test_the_password_policy_names_new_password_and_spends_nothing(world: World, app: str) -> None:
    registered(world, app)
    code = sent_code(world, app)
    # too short, too common, the email given as userName, the login's own username (known only
    # once the code proved the caller)
    for weak in ("short", "password", EMAIL, USERNAME.upper()):
        assert_error(update(world, app, code, weak), 400, "MISSING_OR_INVALID_PARAMETER", "newPassword")
    assert_error(
        update(world, app, code, EMAIL, user=USERNAME), 400, "MISSING_OR_INVALID_PARAMETER", "newPassword"
    )

    assert update(world, app, code).status == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"confirmationCode": "c" * 43, "newPassword": NEW_PASSWORD}, "userName"),
        ({"userName": EMAIL, "newPassword": NEW_PASSWORD}, "confirmationCode"),
        ({"userName": EMAIL, "confirmationCode": "c" * 43}, "newPassword"),
        ({"userName": EMAIL, "confirmationCode": 42, "newPassword": NEW_PASSWORD}, "confirmationCode"),
    ],
)
def test_update_needs_every_field(world: World, app: str, body: dict[str, Any], field: str) -> None:
    registered(world, app)
    before = world.scan()
    assert_error(world.api.call("POST", UPDATE, body, token=app), 400, "MISSING_OR_INVALID_PARAMETER", field)
    assert world.scan() == before


# -- races ------------------------------------------------------------------------------------------
def _update_as_racer(code: str, password: str) -> Any:
    def run() -> Any:
        try:
            info = ConfirmationInfo(user_name=EMAIL, confirmation_code=code, new_password=password)
            return runtime.recovery_service().update_forgotten_password(RACER, None, info)
        except Exception as error:  # the outcome is what the test checks
            return error

    return run


@pytest.mark.parametrize("interleaving", ["free-running", "all-reads-before-any-write"])
def test_of_concurrent_updates_with_one_code_exactly_one_succeeds(
    world: World, app: str, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    registered(world, app)
    code = sent_code(world, app)
    if interleaving != "free-running":
        serialized_dynamodb.hold_transactions_until(4)
    passwords = [f"racing passphrase number {n}" for n in range(4)]

    outcomes = race([_update_as_racer(code, p) for p in passwords])
    serialized_dynamodb.release()

    winners = [p for p, o in zip(passwords, outcomes, strict=True) if o is None]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, InvalidCredentials) for o in outcomes if o is not None), outcomes
    assert sign_in(world, app, winners[0]).status == 200


def test_a_sign_in_racing_a_recovery_never_keeps_a_session_with_the_old_password(
    world: World, app: str, serialized_dynamodb: SerializedClient
) -> None:
    registered(world, app)
    code = sent_code(world, app)

    def old_sign_in() -> Any:
        try:
            info = CustomerUserAuthInfo(username=EMAIL, password=PASSWORD)
            return runtime.sign_in_service().sign_in(RACER, None, info)
        except Exception as error:  # the outcome is what the test checks
            return error

    signed_in, recovered = race([old_sign_in, _update_as_racer(code, NEW_PASSWORD)])

    assert recovered is None, recovered
    if not isinstance(signed_in, Exception):
        stale = world.api.call(
            "GET", CURRENT, token=app, headers={"x-vol-user-claims": signed_in.access_token}
        )
        assert stale.status == 401, "the old password's session outlived the recovery"
    assert sign_in(world, app, NEW_PASSWORD).status == 200


def test_the_code_lives_only_as_long_as_the_item_needs(world: World, app: str, clock: FrozenClock) -> None:
    registered(world, app)
    sent_code(world, app)
    (item,) = reset_items(world)
    expires = datetime.fromtimestamp(int(item["expiresAt"]["N"]), tz=clock.now.tzinfo)
    assert expires == clock.now + timedelta(hours=1)


# -- timing -----------------------------------------------------------------------------------------
TIMING_TRIES = 40


@pytest.fixture
def production_answer_floor(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deployment's answer floor (the suite runs without it)."""
    monkeypatch.delenv("RECOVERY_ANSWER_MS")
    settings.cache_clear()
    yield
    settings.cache_clear()


@pytest.mark.usefixtures("production_answer_floor")
def test_known_limited_and_unknown_logins_take_similar_time(
    world: World, app: str, clock: FrozenClock
) -> None:
    registered(world, app)

    def timed(email: str, token: str) -> float:
        started = time.perf_counter()
        result = reset(world, token, emailAddress=email)
        elapsed = time.perf_counter() - started
        assert (result.status, result.text) == (200, "")
        return elapsed

    for _ in range(3):  # warm up every path
        timed("nobody@example.com", app)
        timed(EMAIL, app)
    times: dict[str, list[float]] = {"sent": [], "limited": [], "unknown": []}
    for _ in range(TIMING_TRIES):
        clock.advance(minutes=13)  # at most five codes an hour: each first request sends one
        token = world.app_token()
        times["sent"].append(timed(EMAIL, token))
        times["limited"].append(timed(EMAIL, token))
        times["unknown"].append(timed("nobody@example.com", token))
        world.mailer.events()

    medians = {path: statistics.median(t) * 1000 for path, t in times.items()}
    print("reset timing (median ms): " + ", ".join(f"{p} {m:.2f}" for p, m in medians.items()))
    ratio = max(medians.values()) / min(medians.values())
    assert ratio <= 1.2, f"one path takes {ratio:.2f} times as long as another: {medians}"


def test_of_concurrent_resets_for_one_login_one_sends_a_code_and_the_others_are_limited(
    world: World, app: str, serialized_dynamodb: SerializedClient
) -> None:
    registered(world, app)
    world.mailer.events()
    info = CustomerResetPasswordInfo(email_address=EMAIL)

    def ask() -> Any:
        return runtime.recovery_service().request_reset(RACER, None, info)

    outcomes = race([ask] * 4)

    assert sorted(o.value for o in outcomes) == ["limited", "limited", "limited", "sent"], outcomes
    (code,) = world.mailer.reset_codes()
    assert update(world, app, code).status == 200
