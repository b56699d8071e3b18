"""Passwordless sign-in (issue 17, docs/sign-in.md#passwordless-sign-in) through the handlers:
generateAndSendOtp sends a six-digit code through the outbox, validateOtpAndCreateAuthTicket trades
it once for a full ticket; neither tells who has a login, and the tenant's switch is off by default."""

import hashlib
import hmac
import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.api.settings import settings
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.kernel.errors import InvalidCredentials
from customer_auth.domain.tenants.policies import SignInPolicy, TwoFactorPolicy
from customer_auth.models.auth import AuthTicketOtpInfo
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import SITE_ID, TENANT_ID, FrozenClock, HttpResult, World
from tests.support.races import SerializedClient, race

PASSWORD = "correct horse battery staple"
EMAIL = "mailbox@example.com"
USERNAME = "mailbox"
AUTHTICKETS = "/api/commerce/customer/authtickets"
REQUEST = f"{AUTHTICKETS}/otp/request"
VALIDATE = f"{AUTHTICKETS}/otp/auth"
REFRESH = f"{AUTHTICKETS}/refresh"
CURRENT = "/api/commerce/customer/accounts/current"
SIX_DIGITS = re.compile(r"[0-9]{6}")
RACER = Caller("racing-app", TENANT_ID, None, frozenset(b.value for b in Behavior))


# -- helpers ----------------------------------------------------------------------------------------
def switch(*, on: bool, two_factor: TwoFactorPolicy | None = None, **policy: Any) -> None:
    """The tenant's passwordless switch (and, given, its 2FA policy and other sign-in settings)."""
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    sign_in = replace(SignInPolicy(**policy), passwordless_sign_in=on)
    provision_tenant(
        store,
        replace(tenant, sign_in_policy=sign_in, two_factor_policy=two_factor or tenant.two_factor_policy),
    )


@pytest.fixture
def app(world: World) -> str:
    switch(on=True)
    return world.app_token("full")


def registered(world: World, app: str, email: str = EMAIL, username: str = USERNAME) -> tuple[int, Any]:
    account_id: int = world.add_account(app, emailAddress=email)["id"]
    body = {"emailAddress": email, "username": username, "password": PASSWORD, "fingerprint": "laptop"}
    return account_id, ok(world.create_login(account_id, body, token=app))


def ask(world: World, app: str, email: str = EMAIL) -> HttpResult:
    return world.api.call("POST", REQUEST, {"email": email}, token=app)


def validate(
    world: World,
    app: str,
    code: str,
    email: str = EMAIL,
    fingerprint: str | None = "phone",
    region: str = "FR",
) -> HttpResult:
    body = {"email": email, "otpCode": code, "fingerprint": fingerprint, "region": region}
    return world.api.call("POST", VALIDATE, body, token=app)


def sent_code(world: World, app: str, email: str = EMAIL) -> str:
    """Ask for a code and return the one the mailer got."""
    world.mailer.events()
    answered = ask(world, app, email)
    assert (answered.status, answered.text) == (204, "")
    (code,) = world.mailer.otp_sign_in_codes()
    return code


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def otp_items(world: World) -> list[dict[str, Any]]:
    return [item for item in world.scan() if item["sk"]["S"] == "CODE#OTP"]


def login_item(world: World) -> dict[str, Any]:
    (login,) = [item for item in world.scan() if item["sk"]["S"] == "LOGIN"]
    return login


def login_state(world: World, app: str, account_id: int) -> dict[str, Any]:
    return ok(world.api.call("GET", f"/api/commerce/customer/accounts/{account_id}/loginstate", token=app))


def without_correlation(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "correlationId"}


# -- the switch -------------------------------------------------------------------------------------
def test_with_the_switch_off_both_routes_answer_kibos_404_and_nothing_is_sent(world: World) -> None:
    app = world.app_token()
    registered(world, app)
    world.mailer.events()
    before = world.scan()

    asked = assert_error(ask(world, app), 404, "ITEM_NOT_FOUND")
    validated = assert_error(validate(world, app, "123456"), 404, "ITEM_NOT_FOUND")
    unknown = assert_error(ask(world, app, "nobody@example.com"), 404, "ITEM_NOT_FOUND")

    assert without_correlation(asked) == without_correlation(validated) == without_correlation(unknown)
    assert world.mailer.events() == []
    assert world.scan() == before


# -- generateAndSendOtp -----------------------------------------------------------------------------
def test_a_known_email_gets_a_six_digit_code_through_the_outbox_stored_only_as_a_keyed_digest(
    world: World, app: str, clock: FrozenClock
) -> None:
    account_id, ticket = registered(world, app)
    world.mailer.events()

    answered = ask(world, app, EMAIL.upper())

    assert (answered.status, answered.text) == (204, "")
    (event,) = world.mailer.events()
    assert (event["source"], event["detail-type"]) == ("customer-auth", "OtpSignInRequested")
    detail = event["detail"]
    code = detail.pop("otpCode")
    assert SIX_DIGITS.fullmatch(code)
    assert detail == {
        "tenantId": TENANT_ID,
        "siteId": SITE_ID,
        "accountId": account_id,
        "userId": ticket["userId"],
        "userName": USERNAME,
        "emailAddress": EMAIL,
        "expiresAt": (clock.now + timedelta(minutes=5)).isoformat(),
    }
    (item,) = otp_items(world)
    stored = item["codeDigest"]["S"]
    kid, _, mac = stored.partition(":")
    assert kid == runtime.key_set().signing_key.kid
    assert re.fullmatch(r"[0-9a-f]{64}", mac)
    # Nothing in the table opens it: not an unkeyed digest, nor one keyed by what the table holds.
    message = f"{TENANT_ID}:{account_id}:{ticket['userId']}:{code}".encode()
    for key in (b"", ticket["userId"].encode(), str(account_id).encode(), kid.encode()):
        assert hmac.new(key, message, hashlib.sha256).hexdigest() != mac
        assert hmac.new(key, code.encode(), hashlib.sha256).hexdigest() != mac
    assert hashlib.sha256(code.encode()).hexdigest() != mac
    assert code not in json.dumps(world.scan())


def test_an_unknown_email_gets_the_same_answer_and_nothing_is_written_or_sent(world: World, app: str) -> None:
    registered(world, app)
    world.mailer.events()
    before = world.scan()

    for email in ("nobody@example.com", USERNAME):  # a username is not an email
        answered = ask(world, app, email)
        assert (answered.status, answered.text) == (204, ""), email

    assert world.scan() == before
    assert world.mailer.events() == []


def test_one_code_a_minute_and_five_an_hour_beyond_which_nothing_is_sent(
    world: World, app: str, clock: FrozenClock
) -> None:
    registered(world, app)
    sent_code(world, app)
    answered = ask(world, app)
    assert (answered.status, answered.text) == (204, "")
    assert world.mailer.otp_sign_in_codes() == [], "a second code within the minute"
    for _ in range(4):
        clock.advance(minutes=1, seconds=1)
        sent_code(world, app)
    clock.advance(minutes=1, seconds=1)
    assert ask(world, app).status == 204
    assert world.mailer.otp_sign_in_codes() == [], "a sixth code within the hour"
    clock.advance(minutes=56)
    assert sent_code(world, world.app_token())


def test_a_new_code_replaces_the_last(world: World, app: str, clock: FrozenClock) -> None:
    registered(world, app)
    first = sent_code(world, app)
    clock.advance(minutes=1, seconds=1)
    second = sent_code(world, app)
    if first != second:
        assert_error(validate(world, app, first), 401, "INVALID_CREDENTIALS")
    assert validate(world, app, second).status == 200


def test_request_needs_an_email_and_the_ticket_behavior(world: World, app: str) -> None:
    assert_error(world.api.call("POST", REQUEST, {}, token=app), 400, "MISSING_OR_INVALID_PARAMETER", "email")
    reader = world.app_token("reader")
    assert_error(ask(world, reader), 403, "FORBIDDEN")
    assert_error(validate(world, reader, "123456"), 403, "FORBIDDEN")


# -- validateOtpAndCreateAuthTicket -----------------------------------------------------------------
def test_the_code_gives_a_full_ticket_that_refreshes_and_reads_the_account_once(
    world: World, app: str
) -> None:
    account_id, _ = registered(world, app)
    code = sent_code(world, app)

    ticket = ok(validate(world, app, code))

    assert ticket["requires2FA"] is False
    assert ticket["customerAccount"]["id"] == account_id
    assert ticket["refreshToken"]
    assert ticket["jwtAccessToken"]
    current = world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": ticket["accessToken"]})
    assert ok(current)["id"] == account_id
    refreshed = ok(world.api.call("PUT", REFRESH, {"refreshToken": ticket["refreshToken"]}, token=app))
    assert refreshed["customerAccount"]["id"] == account_id
    assert_error(validate(world, app, code), 401, "INVALID_CREDENTIALS")
    assert login_state(world, app, account_id)["lastLoginOn"]


def test_no_second_factor_on_top_and_the_device_is_trusted_after(world: World, app: str) -> None:
    switch(on=True, two_factor=TwoFactorPolicy(on_new_fingerprint=True, on_new_region=True))
    registered(world, app)
    password = {"username": EMAIL, "password": PASSWORD, "fingerprint": "phone", "region": "FR"}
    before = ok(world.api.call("POST", AUTHTICKETS, password, token=app))
    assert before["requires2FA"] is True, "a new device and region ask for a code"

    ticket = ok(validate(world, app, sent_code(world, app), fingerprint="phone", region="FR"))

    assert ticket["requires2FA"] is False
    after = ok(world.api.call("POST", AUTHTICKETS, password, token=app))
    assert after["requires2FA"] is False, "the code trusted the phone and its region"


def test_wrong_expired_used_spent_and_unknown_all_get_one_answer(
    world: World, app: str, clock: FrozenClock
) -> None:
    registered(world, app)
    registered(world, app, "other@example.com", "other")
    answers = []
    code = sent_code(world, app)
    answers.append(validate(world, app, wrong(code)))  # wrong
    answers.append(validate(world, app, code, email="nobody@example.com"))  # unknown email
    answers.append(validate(world, app, code, email="other@example.com"))  # another login's code
    assert validate(world, app, code).status == 200
    answers.append(validate(world, app, code))  # used
    clock.advance(minutes=1, seconds=1)
    expired = sent_code(world, app)
    clock.advance(minutes=5)
    answers.append(validate(world, app, expired))  # expired
    clock.advance(minutes=1)
    spent = sent_code(world, app)
    for _ in range(3):
        validate(world, app, wrong(spent))
    answers.append(validate(world, app, spent))  # spent by three wrong tries

    bodies = [without_correlation(assert_error(a, 401, "INVALID_CREDENTIALS")) for a in answers]
    assert all(body == bodies[0] for body in bodies), bodies


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"otpCode": "123456"}, "email"),
        ({"email": EMAIL}, "otpCode"),
        ({"email": EMAIL, "otpCode": "12345"}, "otpCode"),
        ({"email": EMAIL, "otpCode": "12345a"}, "otpCode"),
        ({"email": EMAIL, "otpCode": 123456}, None),
    ],
)
def test_validate_refuses_malformed_bodies_with_400_and_spends_no_try(
    world: World, app: str, body: dict[str, Any], field: str | None
) -> None:
    registered(world, app)
    code = sent_code(world, app)
    assert_error(
        world.api.call("POST", VALIDATE, body, token=app), 400, "MISSING_OR_INVALID_PARAMETER", field
    )
    for _ in range(2):
        validate(world, app, wrong(code))
    assert validate(world, app, code).status == 200, "the malformed body cost no try"


def test_a_wrong_code_counts_as_a_failed_sign_in_for_its_device_and_spends_a_try(
    world: World, app: str
) -> None:
    account_id, _ = registered(world, app)
    code = sent_code(world, app)

    assert_error(validate(world, app, wrong(code), fingerprint=None), 401, "INVALID_CREDENTIALS")

    state = login_state(world, app, account_id)
    assert state["failedLoginAttemptCount"] == 1
    (item,) = otp_items(world)
    assert int(item["triesLeft"]["N"]) == 2
    # From the trusted laptop a wrong code counts against the laptop alone.
    assert_error(validate(world, app, wrong(code), fingerprint="laptop"), 401, "INVALID_CREDENTIALS")
    assert login_state(world, app, account_id)["failedLoginAttemptCount"] == 1
    assert validate(world, app, code, fingerprint=None).status == 200
    assert login_state(world, app, account_id)["failedLoginAttemptCount"] == 0, "a success clears its count"


def test_a_locked_login_gets_the_same_401_and_nothing_is_counted(
    world: World, app: str, clock: FrozenClock
) -> None:
    switch(on=True, max_failed_attempts=3)
    account_id, _ = registered(world, app)
    for _ in range(3):  # untrusted clients lock with wrong passwords
        world.api.call("POST", AUTHTICKETS, {"username": EMAIL, "password": "wrong guess"}, token=app)
    assert login_state(world, app, account_id)["isLocked"] is True
    code = sent_code(world, app)
    login, codes = login_item(world), otp_items(world)

    locked = validate(world, app, code, fingerprint="stranger")
    guessed = validate(world, app, wrong(code), fingerprint="stranger")

    assert without_correlation(assert_error(locked, 401, "INVALID_CREDENTIALS")) == without_correlation(
        assert_error(guessed, 401, "INVALID_CREDENTIALS")
    )
    assert login_item(world) == login, "nothing counted during the lock"
    assert otp_items(world) == codes, "no try spent during the lock"
    # The customer's trusted laptop is held to its own count, and signs in.
    assert validate(world, app, code, fingerprint="laptop").status == 200


def test_wrong_codes_lock_untrusted_clients_as_wrong_passwords_do(
    world: World, app: str, clock: FrozenClock
) -> None:
    switch(on=True, max_failed_attempts=4)
    account_id, _ = registered(world, app)
    for _ in range(2):  # two codes, each with tries to spare, make four failures
        code = sent_code(world, app)
        for _ in range(2):
            assert_error(validate(world, app, wrong(code), fingerprint=None), 401, "INVALID_CREDENTIALS")
        clock.advance(minutes=1, seconds=1)
    assert login_state(world, app, account_id)["isLocked"] is True
    code = sent_code(world, app)
    assert_error(validate(world, app, code, fingerprint=None), 401, "INVALID_CREDENTIALS")
    password = world.api.call("POST", AUTHTICKETS, {"username": EMAIL, "password": PASSWORD}, token=app)
    assert_error(password, 401, "INVALID_CREDENTIALS")


def test_an_operator_lock_stops_every_device(world: World, app: str) -> None:
    account_id, _ = registered(world, app)
    path = f"/api/commerce/customer/accounts/{account_id}/Set-Login-Locked"
    assert world.api.call("POST", path, True, token=app).status == 204
    code = sent_code(world, app)
    assert_error(validate(world, app, code, fingerprint="laptop"), 401, "INVALID_CREDENTIALS")


# -- races ------------------------------------------------------------------------------------------
def _validate_as_racer(code: str) -> Any:
    def run() -> Any:
        try:
            info = AuthTicketOtpInfo(email=EMAIL, otp_code=code, fingerprint="racer")
            return runtime.passwordless_service().sign_in(RACER, None, info)
        except Exception as error:  # the outcome is what the test checks
            return error

    return run


@pytest.mark.parametrize("interleaving", ["free-running", "all-reads-before-any-write"])
def test_of_concurrent_validations_of_one_code_exactly_one_gets_a_ticket(
    world: World, app: str, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    registered(world, app)
    code = sent_code(world, app)
    if interleaving != "free-running":
        serialized_dynamodb.hold_transactions_until(2)

    outcomes = race([_validate_as_racer(code)] * 2)
    serialized_dynamodb.release()

    tickets = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(tickets) == 1, outcomes
    assert all(isinstance(o, InvalidCredentials) for o in outcomes if isinstance(o, Exception)), outcomes
    sessions = [item for item in world.scan() if item["sk"]["S"].startswith("SESSION#")]
    assert len(sessions) == 2, "Create-Login's session and the one winner's"


def test_concurrent_wrong_codes_spend_the_code_after_three_tries(
    world: World, app: str, serialized_dynamodb: SerializedClient
) -> None:
    registered(world, app)
    code = sent_code(world, app)

    outcomes = race([_validate_as_racer(wrong(code))] * 5)

    assert all(isinstance(o, InvalidCredentials) for o in outcomes), outcomes
    assert_error(validate(world, app, code), 401, "INVALID_CREDENTIALS")


def test_of_concurrent_requests_for_one_login_one_sends_a_code(
    world: World, app: str, serialized_dynamodb: SerializedClient
) -> None:
    from customer_auth.models.auth import OtpRequest

    registered(world, app)
    world.mailer.events()

    def asked() -> Any:
        return runtime.passwordless_service().request_code(RACER, None, OtpRequest(email=EMAIL))

    outcomes = race([asked] * 4)

    assert sorted(o.value for o in outcomes) == ["limited", "limited", "limited", "sent"], outcomes
    (code,) = world.mailer.otp_sign_in_codes()
    assert validate(world, app, code).status == 200


# -- equal cost -------------------------------------------------------------------------------------
def test_request_costs_the_same_calls_for_a_known_an_unknown_and_a_limited_login(
    world: World, app: str, dynamodb_calls: Counter[str]
) -> None:
    registered(world, app)
    counted = []
    for email in (EMAIL, "nobody@example.com", EMAIL):  # sent, unknown, over the limit
        dynamodb_calls.clear()
        assert ask(world, app, email).status == 204
        counted.append(dict(dynamodb_calls))
    assert [sum(c.values()) for c in counted] == [3, 3, 3], counted
    assert all(c["BatchGetItem"] == 2 for c in counted), counted


def test_validate_costs_two_reads_and_one_write_for_a_right_a_wrong_and_an_unknown_email(
    world: World, app: str, dynamodb_calls: Counter[str]
) -> None:
    registered(world, app)
    code = sent_code(world, app)
    counted = []
    for email, otp in ((EMAIL, wrong(code)), ("nobody@example.com", code), (EMAIL, code)):
        dynamodb_calls.clear()
        validate(world, app, otp, email=email)
        counted.append(dict(dynamodb_calls))
    assert [sum(c.values()) for c in counted] == [3, 3, 3], counted
    assert all(c["BatchGetItem"] == 2 for c in counted), counted


TIMING_TRIES = 30


@pytest.fixture
def production_answer_floor(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deployment's answer floor (the suite runs without it)."""
    monkeypatch.delenv("RECOVERY_ANSWER_MS")
    settings.cache_clear()
    yield
    settings.cache_clear()


def _timed(call: Any, *args: Any, **kwargs: Any) -> tuple[float, HttpResult]:
    started = time.perf_counter()
    result = call(*args, **kwargs)
    return time.perf_counter() - started, result


@pytest.mark.usefixtures("production_answer_floor")
def test_known_and_unknown_emails_take_similar_time_to_request_and_to_validate(
    world: World, app: str, clock: FrozenClock
) -> None:
    registered(world, app)
    for _ in range(3):  # warm up every path
        ask(world, app, "nobody@example.com")
        validate(world, app, "000000", email="nobody@example.com")
    times: dict[str, list[float]] = {
        k: [] for k in ("request known", "request unknown", "validate known", "validate unknown")
    }
    for _ in range(TIMING_TRIES):
        clock.advance(minutes=13)  # at most five codes an hour: each first request sends one
        token = world.app_token()
        elapsed, result = _timed(ask, world, token)
        assert result.status == 204
        times["request known"].append(elapsed)
        elapsed, result = _timed(ask, world, token, "nobody@example.com")
        assert result.status == 204
        times["request unknown"].append(elapsed)
        (code,) = world.mailer.otp_sign_in_codes()
        elapsed, result = _timed(validate, world, token, wrong(code), fingerprint="laptop")
        assert result.status == 401
        times["validate known"].append(elapsed)
        elapsed, result = _timed(validate, world, token, code, email="nobody@example.com")
        assert result.status == 401
        times["validate unknown"].append(elapsed)

    medians = {path: statistics.median(t) * 1000 for path, t in times.items()}
    print("passwordless timing (median ms): " + ", ".join(f"{p} {m:.2f}" for p, m in medians.items()))
    for kind in ("request", "validate"):
        known, unknown = medians[f"{kind} known"], medians[f"{kind} unknown"]
        assert max(known, unknown) / min(known, unknown) <= 1.2, medians
