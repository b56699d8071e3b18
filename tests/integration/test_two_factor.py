"""Two-factor sign-in (docs/contract.md §7, issue 4) through the handlers: the tenant's policy, the
waiting session, codes from the mailer's queue, trust of devices and regions."""

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from tests.support.assertions import assert_error, kibo_time, ok
from tests.support.fixtures import OTHER_TENANT_ID, SITE_ID, TENANT_ID, FrozenClock, HttpResult, World

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


# -- more helpers -----------------------------------------------------------------------------------
ACCOUNTS = "/api/commerce/customer/accounts"
REFRESH = "/api/commerce/customer/authtickets/refresh"
ADD_ACCOUNT_AND_LOGIN = "/api/commerce/customer/accounts/Add-Account-And-Login"
OTHER_TENANT_HEADERS = {"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"}
_deserializer = TypeDeserializer()


def set_policy_of(tenant_id: int, **policy: bool) -> None:
    store = runtime.store()
    tenant = store.get_tenant(tenant_id)
    assert tenant is not None
    provision_tenant(store, replace(tenant, two_factor_policy=TwoFactorPolicy(**policy)))


def registered_ticket(world: World, app: str, **device: str) -> dict[str, Any]:
    """A new account with a login (Create-Login with ``device``): the full ticket it answers."""
    account_id: int = world.add_account(app, emailAddress=EMAIL, firstName="Grace")["id"]
    body = {"emailAddress": EMAIL, "password": PASSWORD, **device}
    return ok(world.create_login(account_id, body, token=app))


def waiting_ticket(world: World, app: str, **device: Any) -> dict[str, Any]:
    ticket = ok(sign_in(world, app, **device))
    assert ticket["requires2FA"] is True, ticket
    return ticket


def asks(world: World, app: str, **device: Any) -> bool:
    """Whether a sign-in from ``device`` waits for a second factor (a full ticket otherwise)."""
    ticket = ok(sign_in(world, app, **device))
    if ticket["requires2FA"]:
        assert ticket["refreshToken"] is None
    else:
        assert ticket["refreshToken"]
    result: bool = ticket["requires2FA"]
    return result


def one_code(world: World) -> str:
    (code,) = world.mailer.codes()
    return code


def code_for(world: World, app: str, waiting: dict[str, Any]) -> str:
    result = request_code(world, app, waiting["accessToken"])
    assert result.status == 204, result.text
    return one_code(world)


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def items_of_kind(world: World, kind: str) -> list[dict[str, Any]]:
    return [plain(item) for item in world.scan() if item.get("kind", {}).get("S") == kind]


def code_item(world: World) -> dict[str, Any] | None:
    found = items_of_kind(world, "twoFactorCode")
    assert len(found) <= 1
    return found[0] if found else None


def login_item(world: World) -> dict[str, Any]:
    (login,) = items_of_kind(world, "login")
    return login


def digest(key: str, value: str) -> str:
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()


def current(world: World, app: str, access_token: str) -> HttpResult:
    return world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": access_token})


def leaves(value: Any) -> Iterator[str]:
    """Every scalar inside a DynamoDB item in wire format, as text."""
    if isinstance(value, dict):
        for inner in value.values():
            yield from leaves(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from leaves(inner)
    else:
        yield str(value)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- the tenant's policy ----------------------------------------------------------------------------
def test_policy_off_by_default_never_asks(world: World, app: str) -> None:
    registered(world, app, fingerprint="device-A", region="US")

    assert asks(world, app, fingerprint="device-A", region="US") is False
    assert asks(world, app, fingerprint="device-B", region="FR") is False
    assert asks(world, app) is False
    assert items_of_kind(world, "twoFactorCode") == []


def test_always_policy_asks_even_from_the_trusted_device(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app, fingerprint="device-A", region="US")

    assert asks(world, app, fingerprint="device-A", region="US") is True
    assert asks(world, app, fingerprint="device-B", region="FR") is True
    assert asks(world, app) is True


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ({"fingerprint": "device-A", "region": "US"}, False),
        ({"fingerprint": "device-A", "region": "FR"}, False),
        ({"fingerprint": "device-A"}, False),
        ({"fingerprint": "device-B", "region": "US"}, True),
        ({"fingerprint": "DEVICE-A", "region": "US"}, True),
        ({"region": "US"}, True),
        ({"fingerprint": None, "region": "US"}, True),
        ({"fingerprint": "   ", "region": "US"}, True),
    ],
    ids=[
        "known",
        "known-new-region",
        "known-no-region",
        "new",
        "fingerprints-are-case-sensitive",
        "absent",
        "null",
        "blank",
    ],
)
def test_fingerprint_policy(world: World, app: str, device: dict[str, Any], expected: bool) -> None:
    set_policy(on_new_fingerprint=True)
    registered(world, app, fingerprint="device-A", region="US")

    assert asks(world, app, **device) is expected


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ({"fingerprint": "device-A", "region": "US"}, False),
        ({"fingerprint": "device-B", "region": "US"}, False),
        ({"region": "us"}, False),
        ({"region": "  uS "}, False),
        ({"fingerprint": "device-A", "region": "FR"}, True),
        ({"fingerprint": "device-A"}, True),
        ({"fingerprint": "device-A", "region": None}, True),
        ({"fingerprint": "device-A", "region": "  "}, True),
    ],
    ids=[
        "known",
        "known-new-fingerprint",
        "lower-case",
        "padded-mixed-case",
        "new",
        "absent",
        "null",
        "blank",
    ],
)
def test_region_policy(world: World, app: str, device: dict[str, Any], expected: bool) -> None:
    set_policy(on_new_region=True)
    registered(world, app, fingerprint="device-A", region="US")

    assert asks(world, app, **device) is expected


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ({"fingerprint": "device-A", "region": "us"}, False),
        ({"fingerprint": "device-A", "region": "FR"}, True),
        ({"fingerprint": "device-B", "region": "US"}, True),
        ({"fingerprint": "device-B", "region": "FR"}, True),
        ({"fingerprint": "device-A"}, True),
        ({"region": "US"}, True),
    ],
    ids=["both-known", "new-region", "new-fingerprint", "both-new", "no-region", "no-fingerprint"],
)
def test_fingerprint_and_region_policies_together(
    world: World, app: str, device: dict[str, Any], expected: bool
) -> None:
    set_policy(on_new_fingerprint=True, on_new_region=True)
    registered(world, app, fingerprint="device-A", region="US")

    assert asks(world, app, **device) is expected


def test_a_sign_in_that_waits_trusts_nothing_until_the_code_is_given(world: World, app: str) -> None:
    set_policy(on_new_fingerprint=True, on_new_region=True)
    registered(world, app, fingerprint="device-A", region="US")
    login_before = login_item(world)

    waiting_ticket(world, app, fingerprint="device-B", region="FR")

    login_after = login_item(world)
    assert login_after["trustedFingerprints"] == login_before["trustedFingerprints"]
    assert login_after["trustedRegions"] == login_before["trustedRegions"]
    assert "last2FaAt" not in login_after
    assert asks(world, app, fingerprint="device-B", region="FR") is True


# -- Create-Login and Add-Account-And-Login -------------------------------------------------------------
def test_create_login_never_asks_and_trusts_its_device(world: World, app: str) -> None:
    set_policy(always=True)
    created = registered_ticket(world, app, fingerprint="device-A", region=" US ")

    assert created["requires2FA"] is False
    assert created["refreshToken"]
    assert created["jwtAccessToken"]
    login = login_item(world)
    assert login["trustedFingerprints"] == [digest(created["userId"], "device-A")]
    assert login["trustedRegions"] == ["us"]
    assert "device-A" not in str(world.scan())

    set_policy(on_new_fingerprint=True, on_new_region=True)
    assert asks(world, app, fingerprint="device-A", region="us") is False
    assert asks(world, app, fingerprint="device-B", region="us") is True


def test_add_account_and_login_never_asks_and_trusts_its_device(world: World, app: str) -> None:
    set_policy(always=True)
    body = {
        "account": {"emailAddress": EMAIL, "firstName": "Nova"},
        "password": PASSWORD,
        "fingerprint": "device-A",
        "region": "Eu-West",
    }

    added = ok(world.api.call("POST", ADD_ACCOUNT_AND_LOGIN, body, token=app))

    assert added["requires2FA"] is False
    assert added["refreshToken"]
    assert added["jwtAccessToken"]
    assert ok(current(world, app, added["accessToken"]))["emailAddress"] == EMAIL
    login = login_item(world)
    assert login["trustedFingerprints"] == [digest(added["userId"], "device-A")]
    assert login["trustedRegions"] == ["eu-west"]

    set_policy(on_new_fingerprint=True)
    assert asks(world, app, fingerprint="device-A") is False
    assert asks(world, app, fingerprint="device-B") is True
    set_policy(on_new_region=True)
    assert asks(world, app, region="EU-WEST") is False
    assert asks(world, app, region="us") is True


# -- the waiting ticket -----------------------------------------------------------------------------
def test_the_waiting_ticket_carries_a_short_limited_token_and_little_of_the_account(
    world: World, app: str, clock: FrozenClock
) -> None:
    set_policy(always=True)
    created = registered_ticket(world, app)
    clock.advance(seconds=7)

    result = sign_in(world, app, fingerprint="device-A")

    waiting = ok(result)
    assert result.headers["cache-control"] == "no-store"
    assert waiting["requires2FA"] is True
    assert waiting["accessToken"]
    assert waiting["refreshToken"] is None
    assert waiting["jwtAccessToken"] is None
    assert waiting.get("refreshTokenExpiration") is None
    assert abs(when(waiting["accessTokenExpiration"]) - (clock.now + timedelta(minutes=15))) <= timedelta(
        seconds=1
    )
    assert waiting["userId"] == created["userId"]
    account = waiting["customerAccount"]
    full = created["customerAccount"]
    for name in ("id", "userId", "userName", "emailAddress"):
        assert account[name] == full[name], name
    assert account["isAnonymous"] is False
    assert full["firstName"] == "Grace"
    assert account.get("firstName") is None
    assert account.get("lastName") is None
    assert account.get("last2FaDate") is None
    assert account.get("customerSinceDate") is None
    assert (account.get("auditInfo") or {}).get("createDate") is None


def test_the_waiting_token_is_refused_by_the_current_account_and_has_no_refresh_token(
    world: World, app: str
) -> None:
    set_policy(always=True)
    registered(world, app)
    refresh_before = items_of_kind(world, "refreshToken")

    waiting = waiting_ticket(world, app)

    assert_error(current(world, app, waiting["accessToken"]), 401, "UNAUTHORIZED")
    assert items_of_kind(world, "refreshToken") == refresh_before
    (session,) = [s for s in items_of_kind(world, "session") if s["sid"] in waiting["accessToken"]]
    assert "awaiting2Fa" in session
    assert session["headDigest"] == ""


def test_the_waiting_token_dies_after_15_minutes(world: World, app: str, clock: FrozenClock) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    clock.advance(minutes=14, seconds=59)
    code = code_for(world, app, waiting)
    clock.advance(seconds=1)

    assert_error(request_code(world, app, waiting["accessToken"]), 401, "UNAUTHORIZED")
    assert_error(verify(world, app, waiting["accessToken"], waiting["userId"], code), 401, "UNAUTHORIZED")


def test_a_full_tickets_access_token_is_refused_by_the_2fa_routes(world: World, app: str) -> None:
    set_policy(on_new_fingerprint=True)
    registered(world, app, fingerprint="device-A")
    full = ok(sign_in(world, app, fingerprint="device-A"))
    assert full["requires2FA"] is False
    before = world.scan()

    assert_error(request_code(world, app, full["accessToken"]), 401, "UNAUTHORIZED")
    assert_error(verify(world, app, full["accessToken"], full["userId"], "123456"), 401, "UNAUTHORIZED")
    assert world.mailer.events() == []
    assert world.scan() == before
    assert ok(current(world, app, full["accessToken"]))["userId"] == full["userId"]


# -- asking for a code ------------------------------------------------------------------------------
def test_a_code_request_sends_one_event_and_stores_only_a_digest(
    world: World, app: str, clock: FrozenClock
) -> None:
    set_policy(always=True)
    account_id = registered(world, app)
    waiting = waiting_ticket(world, app)

    result = request_code(world, app, waiting["accessToken"])

    assert result.status == 204, result.text
    assert result.text == ""
    (event,) = world.mailer.events()
    assert event["source"] == "customer-auth"
    assert event["detail-type"] == "TwoFactorCodeRequested"
    detail = event["detail"]
    assert detail["tenantId"] == TENANT_ID
    assert detail["siteId"] == SITE_ID
    assert detail["accountId"] == account_id
    assert detail["userId"] == waiting["userId"]
    assert detail["userName"] == waiting["customerAccount"]["userName"]
    assert detail["emailAddress"] == EMAIL
    code = detail["otpCode"]
    assert isinstance(code, str)
    assert re.fullmatch(r"[0-9]{6}", code)
    assert when(detail["expiresAt"]) == clock.now + timedelta(minutes=3)

    for item in world.scan():
        for value in leaves(item):
            assert code not in value, (item["pk"], item["sk"])
    stored = code_item(world)
    assert stored is not None
    assert stored["pk"] == f"ACCOUNT#{TENANT_ID}#{account_id}"
    assert stored["sk"] == "CODE"
    assert stored["codeDigest"] == digest(stored["sid"], code)
    assert stored["sid"] in waiting["accessToken"]
    assert stored["triesLeft"] == 3
    assert when(stored["codeExpiresAt"]) == clock.now + timedelta(minutes=3)
    assert stored["expiresAt"] == int((clock.now + timedelta(hours=1)).timestamp())


def test_each_code_is_new(world: World, app: str, clock: FrozenClock) -> None:
    set_policy(always=True)
    registered(world, app)
    codes = []
    for _ in range(5):
        codes.append(code_for(world, app, waiting_ticket(world, app)))
        clock.advance(seconds=31)

    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(set(codes)) >= 4  # five equal codes in a row would not be random


def test_a_second_request_within_30_seconds_waits_for_the_rest_of_them(
    world: World, app: str, clock: FrozenClock
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    first = code_for(world, app, waiting)
    before = world.scan()

    clock.advance(seconds=10)
    too_soon = request_code(world, app, waiting["accessToken"])
    assert_error(too_soon, 429, "TOO_MANY_REQUESTS")
    assert too_soon.headers["retry-after"] == "20"
    clock.advance(seconds=19)
    assert request_code(world, app, waiting["accessToken"]).headers["retry-after"] == "1"
    assert world.mailer.events() == []
    assert world.scan() == before

    clock.advance(seconds=1)
    second = code_for(world, app, waiting)

    if first != second:  # equal only by a one-in-a-million chance
        assert_error(
            verify(world, app, waiting["accessToken"], waiting["userId"], first), 401, "INVALID_CREDENTIALS"
        )
    ok(verify(world, app, waiting["accessToken"], waiting["userId"], second))


def test_the_sixth_request_within_an_hour_waits_until_the_oldest_is_an_hour_old(
    world: World, app: str, clock: FrozenClock
) -> None:
    set_policy(always=True)
    registered(world, app)
    start = clock.now
    for _ in range(5):
        code_for(world, app, waiting_ticket(world, app))
        clock.advance(seconds=31)
    # Five requests at 0, 31, 62, 93 and 124 s: now 155 s.

    waiting = waiting_ticket(world, app)
    sixth = request_code(world, app, waiting["accessToken"])
    assert_error(sixth, 429, "TOO_MANY_REQUESTS")
    assert sixth.headers["retry-after"] == str(3600 - 155)

    clock.now = start + timedelta(seconds=3599)
    app = world.app_token()  # the first one has expired
    waiting = waiting_ticket(world, app)
    last_second = request_code(world, app, waiting["accessToken"])
    assert_error(last_second, 429, "TOO_MANY_REQUESTS")
    assert last_second.headers["retry-after"] == "1"
    assert world.mailer.events() == []

    clock.advance(seconds=1)
    code = code_for(world, app, waiting)
    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))


def test_the_rate_limit_is_per_login(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    other_id = world.add_account(app, emailAddress="other@example.com")["id"]
    ok(world.create_login(other_id, {"emailAddress": "other@example.com", "password": PASSWORD}, token=app))
    code_for(world, app, waiting_ticket(world, app))

    other = ok(
        world.api.call("POST", SIGN_IN, {"username": "other@example.com", "password": PASSWORD}, token=app)
    )
    assert other["requires2FA"] is True
    assert request_code(world, app, other["accessToken"]).status == 204
    assert_error(
        request_code(world, app, waiting_ticket(world, app)["accessToken"]), 429, "TOO_MANY_REQUESTS"
    )


def test_a_new_code_replaces_the_previous_one(world: World, app: str, clock: FrozenClock) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    old = code_for(world, app, waiting)
    clock.advance(seconds=31)
    new = code_for(world, app, waiting)
    if old == new:
        pytest.skip("the two random codes happen to be equal")

    assert_error(
        verify(world, app, waiting["accessToken"], waiting["userId"], old), 401, "INVALID_CREDENTIALS"
    )
    full = ok(verify(world, app, waiting["accessToken"], waiting["userId"], new))
    assert full["refreshToken"]


def test_a_new_code_for_another_waiting_session_voids_the_first_sessions_code(
    world: World, app: str, clock: FrozenClock
) -> None:
    set_policy(always=True)
    registered(world, app)
    first, second = waiting_ticket(world, app), waiting_ticket(world, app)
    first_code = code_for(world, app, first)
    clock.advance(seconds=31)
    second_code = code_for(world, app, second)

    assert_error(
        verify(world, app, first["accessToken"], first["userId"], first_code), 401, "INVALID_CREDENTIALS"
    )
    ok(verify(world, app, second["accessToken"], second["userId"], second_code))


# -- giving the code back ---------------------------------------------------------------------------
def test_the_right_code_gives_a_full_ticket_and_trusts_the_device(
    world: World, app: str, clock: FrozenClock
) -> None:
    set_policy(on_new_fingerprint=True, on_new_region=True)
    account_id = registered(world, app, fingerprint="device-A", region="US")
    waiting = waiting_ticket(world, app, fingerprint="device-B", region="FR")
    code = code_for(world, app, waiting)
    clock.advance(seconds=42)
    refresh_before = items_of_kind(world, "refreshToken")

    result = verify(world, app, waiting["accessToken"], waiting["userId"], code)

    full = ok(result)
    assert result.headers["cache-control"] == "no-store"
    assert full["requires2FA"] is False
    assert full["userId"] == waiting["userId"]
    assert full["refreshToken"]
    assert full["jwtAccessToken"]
    assert full["accessToken"] != waiting["accessToken"]
    assert full["refreshTokenExpiration"]
    account = full["customerAccount"]
    assert account["id"] == account_id
    assert account["firstName"] == "Grace"
    assert account["last2FaDate"] == kibo_time(clock.now)
    assert ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))["last2FaDate"] == kibo_time(
        clock.now
    )
    assert len(items_of_kind(world, "refreshToken")) == len(refresh_before) + 1
    assert ok(current(world, app, full["accessToken"]))["id"] == account_id
    refreshed = ok(world.api.call("PUT", REFRESH, {"refreshToken": full["refreshToken"]}, token=app))
    assert refreshed["refreshToken"]
    assert refreshed["refreshToken"] != full["refreshToken"]
    assert ok(current(world, app, refreshed["accessToken"]))["id"] == account_id

    assert [s for s in items_of_kind(world, "session") if "awaiting2Fa" in s] == []
    login = login_item(world)
    assert login["last2FaAt"] == clock.now.isoformat()
    assert login["trustedFingerprints"] == [digest(full["userId"], f) for f in ("device-A", "device-B")]
    assert login["trustedRegions"] == ["us", "fr"]
    stored = code_item(world)
    assert stored is not None
    assert "codeDigest" not in stored
    assert stored["triesLeft"] == 0

    assert_error(request_code(world, app, waiting["accessToken"]), 401, "UNAUTHORIZED")
    assert asks(world, app, fingerprint="device-B", region="fr") is False
    assert asks(world, app, fingerprint="device-A", region="US") is False


def test_a_wrong_code_is_refused_and_spends_one_try(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)

    error = assert_error(
        verify(world, app, waiting["accessToken"], waiting["userId"], other_than(code)),
        401,
        "INVALID_CREDENTIALS",
    )

    assert error["message"] == "The code is not valid."
    stored = code_item(world)
    assert stored is not None
    assert stored["triesLeft"] == 2
    assert stored["codeDigest"]
    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))


def test_three_wrong_tries_kill_the_code(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)

    for left in (2, 1, 0):
        assert_error(
            verify(world, app, waiting["accessToken"], waiting["userId"], other_than(code)),
            401,
            "INVALID_CREDENTIALS",
        )
        stored = code_item(world)
        assert stored is not None
        assert stored["triesLeft"] == left

    assert "codeDigest" not in (code_item(world) or {})
    assert_error(
        verify(world, app, waiting["accessToken"], waiting["userId"], code), 401, "INVALID_CREDENTIALS"
    )
    assert (code_item(world) or {})["triesLeft"] == 0


def test_two_wrong_tries_leave_the_right_code_good(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)

    for _ in range(2):
        assert verify(world, app, waiting["accessToken"], waiting["userId"], other_than(code)).status == 401

    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))


@pytest.mark.parametrize(("seconds", "status"), [(179, 200), (180, 401), (181, 401)])
def test_a_code_lives_three_minutes(
    world: World, app: str, clock: FrozenClock, seconds: int, status: int
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    clock.advance(seconds=seconds)

    result = verify(world, app, waiting["accessToken"], waiting["userId"], code)

    if status == 200:
        assert ok(result)["refreshToken"]
    else:
        assert_error(result, 401, "INVALID_CREDENTIALS")


def test_a_used_code_is_refused(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))
    before = world.scan()

    again = verify(world, app, waiting["accessToken"], waiting["userId"], code)

    assert again.status == 401, again.text
    assert world.scan() == before


def test_a_code_issued_to_another_waiting_session_of_the_login_is_refused(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    issued_to, other = waiting_ticket(world, app), waiting_ticket(world, app)
    code = code_for(world, app, issued_to)
    before = world.scan()

    for _ in range(3):
        assert_error(
            verify(world, app, other["accessToken"], other["userId"], code), 401, "INVALID_CREDENTIALS"
        )

    assert world.scan() == before
    ok(verify(world, app, issued_to["accessToken"], issued_to["userId"], code))


def test_a_user_id_not_the_sessions_is_refused_without_spending_a_try(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    before = world.scan()

    for user_id in ("0" * 32, waiting["userId"].upper(), "someone-else"):
        assert_error(verify(world, app, waiting["accessToken"], user_id, code), 401, "INVALID_CREDENTIALS")

    assert world.scan() == before
    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))


# -- bad input, bad tokens --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"otpCode": "CODE"}, "userId"),
        ({"userId": None, "otpCode": "CODE"}, "userId"),
        ({"userId": "", "otpCode": "CODE"}, "userId"),
        ({"userId": "USER"}, "otpCode"),
        ({"userId": "USER", "otpCode": None}, "otpCode"),
        ({"userId": "USER", "otpCode": "12345"}, "otpCode"),
        ({"userId": "USER", "otpCode": "1234567"}, "otpCode"),
        ({"userId": "USER", "otpCode": "abcdef"}, "otpCode"),
        ({"userId": "USER", "otpCode": ""}, "otpCode"),
        ({"userId": "USER", "otpCode": " 12345"}, "otpCode"),
        ({"userId": "USER", "otpCode": "１２３４５６"}, "otpCode"),
        ({"userId": "USER", "otpCode": 123456}, "otpCode"),
    ],
    ids=[
        "no-userId",
        "null-userId",
        "empty-userId",
        "no-otpCode",
        "null-otpCode",
        "five-digits",
        "seven-digits",
        "letters",
        "empty-otpCode",
        "padded",
        "fullwidth-digits",
        "number",
    ],
)
def test_bad_input_on_verify_is_400_and_changes_nothing(
    world: World, app: str, body: dict[str, Any], field: str
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    swap = {"CODE": code, "USER": waiting["userId"]}
    sent = {name: swap.get(value, value) if isinstance(value, str) else value for name, value in body.items()}
    before = world.scan()

    for _ in range(4):
        result = world.api.call(
            "POST", VERIFY_CODE, sent, token=app, headers={"x-vol-user-claims": waiting["accessToken"]}
        )
        assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field=field)

    assert world.scan() == before
    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))


def test_a_body_that_is_not_json_is_400(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code_for(world, app, waiting)
    before = world.scan()

    result = world.api.call(
        "POST",
        VERIFY_CODE,
        token=app,
        headers={"x-vol-user-claims": waiting["accessToken"]},
        raw_body=b"{otp",
    )

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert world.scan() == before


def other_tenants_waiting_token(world: World) -> str:
    set_policy_of(OTHER_TENANT_ID, always=True)
    other_app = world.app_token("other")
    added = world.api.call(
        "POST",
        "/api/commerce/customer/accounts",
        {"emailAddress": EMAIL},
        token=other_app,
        headers=OTHER_TENANT_HEADERS,
    )
    account_id = ok(added)["id"]
    ok(
        world.create_login(
            account_id,
            {"emailAddress": EMAIL, "password": PASSWORD},
            token=other_app,
            headers=OTHER_TENANT_HEADERS,
        )
    )
    waiting = ok(
        world.api.call(
            "POST",
            SIGN_IN,
            {"username": EMAIL, "password": PASSWORD},
            token=other_app,
            headers=OTHER_TENANT_HEADERS,
        )
    )
    assert waiting["requires2FA"] is True
    token: str = waiting["accessToken"]
    return token


@pytest.mark.parametrize("route", [REQUEST_CODE, VERIFY_CODE], ids=["request", "verify"])
@pytest.mark.parametrize(
    "claims",
    ["absent", "empty", "garbage", "tampered", "other-tenant", "another-tenant-prefix"],
)
def test_the_2fa_routes_need_this_tenants_waiting_token(
    world: World, app: str, route: str, claims: str
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    token = waiting["accessToken"]
    headers = {
        "absent": {},
        "empty": {"x-vol-user-claims": ""},
        "garbage": {"x-vol-user-claims": "not-a-token"},
        "tampered": {"x-vol-user-claims": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")},
        "other-tenant": {
            "x-vol-user-claims": other_tenants_waiting_token(world) if claims == "other-tenant" else ""
        },
        "another-tenant-prefix": {"x-vol-user-claims": f"{OTHER_TENANT_ID}." + token.split(".", 1)[1]},
    }[claims]
    before = world.scan()

    result = world.api.call(
        "POST", route, {"userId": waiting["userId"], "otpCode": "123456"}, token=app, headers=headers
    )

    assert_error(result, 401, "UNAUTHORIZED")
    assert world.scan() == before
    assert world.mailer.events() == []


@pytest.mark.parametrize("route", [REQUEST_CODE, VERIFY_CODE], ids=["request", "verify"])
def test_an_app_without_ticket_create_is_403(world: World, app: str, route: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    reader = world.app_token("reader")
    before = world.scan()

    result = world.api.call(
        "POST",
        route,
        {"userId": waiting["userId"], "otpCode": "123456"},
        token=reader,
        headers={"x-vol-user-claims": waiting["accessToken"]},
    )

    assert_error(result, 403, "FORBIDDEN")
    assert world.scan() == before


@pytest.mark.parametrize("route", [REQUEST_CODE, VERIFY_CODE], ids=["request", "verify"])
def test_the_2fa_routes_need_an_app_token(world: World, app: str, route: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)

    result = world.api.call(
        "POST",
        route,
        {"userId": waiting["userId"], "otpCode": "123456"},
        headers={"x-vol-user-claims": waiting["accessToken"]},
    )

    assert_error(result, 401, "UNAUTHORIZED")


def test_the_app_token_may_travel_in_x_vol_app_claims(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    headers = {"x-vol-app-claims": app, "x-vol-user-claims": waiting["accessToken"]}

    assert world.api.call("POST", REQUEST_CODE, headers=headers).status == 204
    code = one_code(world)
    full = ok(
        world.api.call("POST", VERIFY_CODE, {"userId": waiting["userId"], "otpCode": code}, headers=headers)
    )

    assert full["requires2FA"] is False
    assert full["refreshToken"]


def test_another_tenants_app_is_refused(world: World, app: str) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)

    result = request_code(world, world.app_token("other"), waiting["accessToken"])

    assert_error(result, 403, "FORBIDDEN")
    assert world.mailer.events() == []


# -- revocation -------------------------------------------------------------------------------------
@pytest.mark.parametrize("revocation", ["operator-lock", "password-change", "global-log-out"])
def test_revoking_the_login_kills_the_waiting_session(world: World, app: str, revocation: str) -> None:
    set_policy(always=True)
    created = registered_ticket(world, app)
    account_id = created["customerAccount"]["id"]
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)

    if revocation == "operator-lock":
        result = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Set-Login-Locked", True, token=app)
    elif revocation == "password-change":
        result = world.api.call(
            "POST",
            f"{ACCOUNTS}/{account_id}/Change-Password",
            {"oldPassword": PASSWORD, "newPassword": "a brand new passphrase"},
            token=app,
        )
    else:
        result = world.api.call(
            "DELETE", SIGN_IN, token=app, query={"refreshToken": created["refreshToken"], "scope": "global"}
        )
    assert result.status == 204, result.text

    assert_error(verify(world, app, waiting["accessToken"], waiting["userId"], code), 401, "UNAUTHORIZED")
    assert_error(request_code(world, app, waiting["accessToken"]), 401, "UNAUTHORIZED")
    assert world.mailer.events() == []
    assert "last2FaAt" not in login_item(world)


def test_an_unlock_does_not_revive_the_waiting_session(world: World, app: str) -> None:
    set_policy(always=True)
    account_id = registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    path = f"{ACCOUNTS}/{account_id}/Set-Login-Locked"
    assert world.api.call("POST", path, True, token=app).status == 204
    assert world.api.call("POST", path, False, token=app).status == 204

    assert_error(verify(world, app, waiting["accessToken"], waiting["userId"], code), 401, "UNAUTHORIZED")


# -- the trusted lists are bounded ------------------------------------------------------------------
def test_a_login_trusts_its_ten_newest_devices_and_regions(
    world: World, app: str, clock: FrozenClock
) -> None:
    set_policy(on_new_fingerprint=True)
    registered(world, app)
    for n in range(1, 12):
        app = world.app_token()  # an app token lives less than the 143 minutes this takes
        waiting = waiting_ticket(world, app, fingerprint=f"device-{n}", region=f"Region-{n}")
        full = ok(
            verify(world, app, waiting["accessToken"], waiting["userId"], code_for(world, app, waiting))
        )
        assert full["requires2FA"] is False
        clock.advance(minutes=13)  # under five code requests an hour, more than 30 s apart

    login = login_item(world)
    user_id = login["userId"]
    assert login["trustedFingerprints"] == [digest(user_id, f"device-{n}") for n in range(2, 12)]
    assert login["trustedRegions"] == [f"region-{n}" for n in range(2, 12)]
    assert asks(world, app, fingerprint="device-1") is True
    for n in range(2, 12):
        assert asks(world, app, fingerprint=f"device-{n}") is False, n

    set_policy(on_new_region=True)
    assert asks(world, app, region="REGION-1") is True
    assert asks(world, app, region="REGION-2") is False


def test_a_device_trusted_again_becomes_the_newest(world: World, app: str, clock: FrozenClock) -> None:
    set_policy(on_new_fingerprint=True)
    registered(world, app, fingerprint="device-0")
    set_policy(always=True)  # the trusted device passes 2FA again: it is trusted anew
    for fingerprint in ["device-0", *(f"device-{n}" for n in range(1, 10)), "device-0", "device-10"]:
        app = world.app_token()
        waiting = waiting_ticket(world, app, fingerprint=fingerprint)
        ok(verify(world, app, waiting["accessToken"], waiting["userId"], code_for(world, app, waiting)))
        clock.advance(minutes=13)

    user_id = login_item(world)["userId"]
    assert login_item(world)["trustedFingerprints"] == [
        digest(user_id, f) for f in [*(f"device-{n}" for n in range(2, 10)), "device-0", "device-10"]
    ]
    set_policy(on_new_fingerprint=True)
    assert asks(world, app, fingerprint="device-0") is False
    assert asks(world, app, fingerprint="device-1") is True


# -- delivery failures ------------------------------------------------------------------------------
class FlakyEvents:
    """The outbox's EventBridge client failing (raising, or refusing the entry) until told not to."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
        self.failing = True
        self.calls = 0
        self._how = how
        client = runtime.code_outbox()._events  # type: ignore[attr-defined]
        self._put_events = client.put_events
        monkeypatch.setattr(client, "put_events", self)

    def __call__(self, **kwargs: Any) -> Any:
        self.calls += 1
        if not self.failing:
            return self._put_events(**kwargs)
        if self._how == "raises":
            raise ClientError(
                {
                    "Error": {"Code": "InternalFailure", "Message": "boom"},
                    "ResponseMetadata": {"HTTPStatusCode": 500},
                },
                "PutEvents",
            )
        return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "boom"}]}


@pytest.mark.parametrize("how", ["raises", "refuses-the-entry"])
def test_an_undelivered_code_is_503_and_does_not_count(
    world: World, app: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    events = FlakyEvents(monkeypatch, how)
    before = world.scan()

    result = request_code(world, app, waiting["accessToken"])

    body = assert_error(result, 503, "SERVICE_UNAVAILABLE")
    assert "boom" not in body["message"]
    assert int(result.headers["retry-after"]) >= 1
    assert events.calls == 1
    assert world.scan() == before
    assert code_item(world) is None
    assert world.mailer.events() == []

    events.failing = False
    code = code_for(world, app, waiting)
    assert events.calls == 2
    assert (code_item(world) or {})["requestedAt"] == [clock.now.isoformat()]
    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))


@pytest.mark.parametrize("how", ["raises", "refuses-the-entry"])
def test_an_undelivered_code_leaves_the_previous_code_as_it_was(
    world: World, app: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    assert verify(world, app, waiting["accessToken"], waiting["userId"], other_than(code)).status == 401
    clock.advance(seconds=31)
    events = FlakyEvents(monkeypatch, how)
    before = world.scan()

    assert_error(request_code(world, app, waiting["accessToken"]), 503, "SERVICE_UNAVAILABLE")
    assert world.scan() == before

    for _ in range(4):  # failed deliveries count toward neither limit
        clock.advance(seconds=1)
        assert request_code(world, app, waiting["accessToken"]).status == 503
    assert events.calls == 5
    assert world.scan() == before
    assert world.mailer.events() == []
    full = ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))
    assert full["refreshToken"]


def test_a_retry_after_a_failed_delivery_is_not_rate_limited(
    world: World, app: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code_for(world, app, waiting)
    clock.advance(seconds=31)
    events = FlakyEvents(monkeypatch, "raises")
    assert request_code(world, app, waiting["accessToken"]).status == 503

    events.failing = False
    clock.advance(seconds=1)
    code = code_for(world, app, waiting)

    stored = code_item(world)
    assert stored is not None
    assert len(stored["requestedAt"]) == 2
    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))


# -- round trips ------------------------------------------------------------------------------------
@pytest.fixture
def aws_calls(world: World) -> Iterator[Counter[str]]:
    """Calls made by the store's DynamoDB client and the outbox's EventBridge client, by operation."""
    calls: Counter[str] = Counter()

    def count(model: object, **_: object) -> None:
        calls[getattr(model, "name", "?")] += 1

    emitters = []
    for client in (runtime.store()._db, runtime.code_outbox()._events):  # type: ignore[attr-defined]
        if all(client.meta.events is not seen for seen in emitters):
            emitters.append(client.meta.events)
    for emitter in emitters:
        emitter.register("before-call", count)
    yield calls
    for emitter in emitters:
        emitter.unregister("before-call", count)


def test_a_sign_in_that_waits_reads_twice_and_writes_once(
    world: World, app: str, aws_calls: Counter[str]
) -> None:
    set_policy(always=True)
    registered(world, app)
    aws_calls.clear()

    waiting_ticket(world, app)

    assert aws_calls == Counter({"BatchGetItem": 2, "TransactWriteItems": 1})


def test_a_code_request_reads_once_writes_once_and_puts_one_event(
    world: World, app: str, aws_calls: Counter[str]
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    aws_calls.clear()

    assert request_code(world, app, waiting["accessToken"]).status == 204

    assert aws_calls == Counter({"BatchGetItem": 1, "PutItem": 1, "PutEvents": 1})


def test_a_rate_limited_code_request_only_reads(world: World, app: str, aws_calls: Counter[str]) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code_for(world, app, waiting)
    aws_calls.clear()

    assert request_code(world, app, waiting["accessToken"]).status == 429

    assert aws_calls == Counter({"BatchGetItem": 1})


def test_the_right_code_reads_once_and_writes_one_transaction(
    world: World, app: str, aws_calls: Counter[str]
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    aws_calls.clear()

    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))

    assert aws_calls == Counter({"BatchGetItem": 1, "TransactWriteItems": 1})


def test_a_wrong_code_reads_once_and_writes_once(world: World, app: str, aws_calls: Counter[str]) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    aws_calls.clear()

    assert verify(world, app, waiting["accessToken"], waiting["userId"], other_than(code)).status == 401

    assert aws_calls == Counter({"BatchGetItem": 1, "PutItem": 1})
