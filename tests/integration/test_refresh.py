"""Refresh (docs/contract.md §5): rotation, the family's fixed end, one answer for every bad token,
the grace window, reuse revoking the family, and concurrent refreshes of one token."""

import hashlib
import json
import secrets
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.kernel.errors import InvalidToken
from customer_auth.models.auth import CustomerAuthTicket
from tests.support.assertions import ok
from tests.support.fixtures import (
    DYNAMODB_BACKEND,
    OTHER_TENANT_ID,
    TENANT_ID,
    FrozenClock,
    HttpResult,
    World,
)
from tests.support.races import SerializedClient, race

PASSWORD = "correct horse battery staple"
EMAIL = "refresh@example.com"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = "/api/commerce/customer/authtickets/refresh"
CURRENT = "/api/commerce/customer/accounts/current"
OTHER_TENANT = {"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"}
GRACE_SECONDS = 10
RACERS = 20


# -- helpers ----------------------------------------------------------------------------------------
def register(world: World, app: str, email: str = EMAIL, headers: dict[str, str] | None = None) -> int:
    """An account with a login (its Create-Login session is left alone)."""
    added = world.api.call(
        "POST",
        "/api/commerce/customer/accounts",
        {"emailAddress": email, "firstName": "Rory", "lastName": "Refresh"},
        token=app,
        headers=headers,
    )
    account_id: int = ok(added)["id"]
    ok(
        world.create_login(
            account_id, {"emailAddress": email, "password": PASSWORD}, token=app, headers=headers
        )
    )
    return account_id


def sign_in(
    world: World, app: str, email: str = EMAIL, headers: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    body = {"username": email, "password": PASSWORD, **extra}
    return ok(world.api.call("POST", SIGN_IN, body, token=app, headers=headers))


def refresh(
    world: World,
    app: str | None,
    refresh_token: str | None,
    *,
    via: str = "query",
    account_id: int | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResult:
    query: dict[str, str] = {}
    if account_id is not None:
        query["accountId"] = str(account_id)
    if via == "query" and refresh_token is not None:
        query["refreshToken"] = refresh_token
    body = {"refreshToken": refresh_token} if via == "body" else None
    return world.api.call("PUT", REFRESH, body, token=app, query=query, headers=headers)


def current(world: World, app: str, access_token: str) -> HttpResult:
    return world.api.call("GET", CURRENT, token=app, headers={"x-vol-user-claims": access_token})


def log_out(world: World, app: str, refresh_token: str, scope: str = "local") -> HttpResult:
    return world.api.call("DELETE", SIGN_IN, token=app, query={"refreshToken": refresh_token, "scope": scope})


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def sid_of(token: str) -> str:
    return token.split(".")[2]


def items_of_kind(world: World, kind: str) -> list[dict[str, Any]]:
    return [item for item in world.scan() if item["kind"]["S"] == kind]


def refresh_items_of(world: World, sid: str) -> list[dict[str, Any]]:
    return [item for item in items_of_kind(world, "refreshToken") if item["sid"]["S"] == sid]


def session_item(world: World, sid: str) -> dict[str, Any] | None:
    found = [item for item in items_of_kind(world, "session") if item["sid"]["S"] == sid]
    return found[0] if found else None


def without_correlation(result: HttpResult) -> dict[str, Any]:
    body: dict[str, Any] = dict(result.json)
    body.pop("correlationId")
    return body


def assert_invalid_token(result: HttpResult) -> dict[str, Any]:
    assert result.status == 401, result.text
    assert result.json["errorCode"] == "INVALID_TOKEN"
    return without_correlation(result)


def assert_revoked(world: World, app: str, ticket: dict[str, Any]) -> None:
    """The family of ``ticket`` is gone: its refresh token, access tokens and session item."""
    assert_invalid_token(refresh(world, app, ticket["refreshToken"]))
    assert current(world, app, ticket["accessToken"]).status == 401
    assert world.api.call("GET", CURRENT, token=ticket["jwtAccessToken"]).status == 401
    assert session_item(world, sid_of(ticket["refreshToken"])) is None


def with_grace(world: World, seconds: int) -> None:
    """Re-provision tenant 100 with ``seconds`` of refresh grace, everything else as it was."""
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    policy = replace(tenant.sign_in_policy, refresh_grace_seconds=seconds)
    provision_tenant(store, replace(tenant, sign_in_policy=policy))


@pytest.fixture
def app(world: World) -> str:
    return world.app_token()


@pytest.fixture
def account_id(world: World, app: str) -> int:
    return register(world, app)


# -- rotation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("via", ["query", "body"])
def test_refresh_rotates_every_token_and_keeps_the_familys_end(
    world: World, app: str, account_id: int, clock: FrozenClock, via: str
) -> None:
    first = sign_in(world, app, authTicketTtlMinutes=45, refreshTokenTtlMinutes=120)
    clock.advance(minutes=5)

    result = refresh(world, app, first["refreshToken"], via=via)

    second = ok(result)
    assert result.headers["cache-control"] == "no-store"
    assert result.headers["pragma"] == "no-cache"
    for name in ("refreshToken", "accessToken", "jwtAccessToken"):
        assert second[name]
        assert second[name] != first[name]
    assert second["refreshTokenExpiration"] == first["refreshTokenExpiration"]
    assert moment(second["refreshTokenExpiration"]) == moment(first["refreshTokenExpiration"])
    assert moment(second["accessTokenExpiration"]) == clock.now + timedelta(minutes=45)
    assert second["customerAccount"]["id"] == account_id
    assert second["userId"] == first["userId"]
    assert second["requires2FA"] is False


def test_the_old_access_token_lives_until_it_expires_and_the_new_one_works(
    world: World, app: str, account_id: int, clock: FrozenClock
) -> None:
    first = sign_in(world, app)
    clock.advance(minutes=1)
    second = ok(refresh(world, app, first["refreshToken"]))

    for ticket in (first, second):
        assert ok(current(world, app, ticket["accessToken"]))["id"] == account_id
        assert ok(world.api.call("GET", CURRENT, token=ticket["jwtAccessToken"]))["id"] == account_id

    clock.advance(minutes=29)  # the first access token's 30 minutes are up; the second has 1 left
    app = world.app_token()
    assert current(world, app, first["accessToken"]).status == 401
    assert world.api.call("GET", CURRENT, token=first["jwtAccessToken"]).status == 401
    assert ok(current(world, app, second["accessToken"]))["id"] == account_id
    assert ok(world.api.call("GET", CURRENT, token=second["jwtAccessToken"]))["id"] == account_id


def test_each_refresh_moves_the_family_forward_but_never_its_end(
    world: World, app: str, account_id: int, clock: FrozenClock
) -> None:
    ticket = sign_in(world, app)
    end = ticket["refreshTokenExpiration"]
    for _ in range(3):
        clock.advance(minutes=15)
        ticket = ok(refresh(world, app, ticket["refreshToken"]))
        assert ticket["refreshTokenExpiration"] == end
        assert moment(ticket["accessTokenExpiration"]) == clock.now + timedelta(minutes=30)
    session = session_item(world, sid_of(ticket["refreshToken"]))
    assert session is not None
    assert session["headDigest"]["S"] == sha256(ticket["refreshToken"])
    assert len(refresh_items_of(world, sid_of(ticket["refreshToken"]))) == 4


def test_a_matching_account_id_is_accepted(world: World, app: str, account_id: int) -> None:
    first = sign_in(world, app)
    assert ok(refresh(world, app, first["refreshToken"], account_id=account_id))["customerAccount"]["id"] == (
        account_id
    )


def test_an_account_id_that_does_not_match_the_token_is_an_invalid_token(
    world: World, app: str, account_id: int
) -> None:
    other_id = register(world, app, "someone.else@example.com")
    first = sign_in(world, app)

    assert_invalid_token(refresh(world, app, first["refreshToken"], account_id=other_id))
    assert ok(refresh(world, app, first["refreshToken"], account_id=account_id))  # not consumed


# -- one answer for every bad token -----------------------------------------------------------------
def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def relocated(token: str, account_id: int) -> str:
    tenant, _, sid, secret = token.split(".")
    return f"{tenant}.{account_id}.{sid}.{secret}"


BadToken = Callable[[World, str, FrozenClock], tuple[str, str, dict[str, str] | None]]
"""Arranges a bad token; returns (app token, refresh token, headers) to present it with."""


def garbage(text: str) -> BadToken:
    return lambda world, app, clock: (app, text, None)


def random_43(world: World, app: str, clock: FrozenClock) -> tuple[str, str, dict[str, str] | None]:
    return app, secrets.token_urlsafe(32), None


def tampered_secret(world: World, app: str, clock: FrozenClock) -> tuple[str, str, dict[str, str] | None]:
    return app, tampered(sign_in(world, app)["refreshToken"]), None


def another_accounts_locator(
    world: World, app: str, clock: FrozenClock
) -> tuple[str, str, dict[str, str] | None]:
    other_id = register(world, app, "neighbour@example.com")
    sign_in(world, app, "neighbour@example.com")
    return app, relocated(sign_in(world, app)["refreshToken"], other_id), None


def other_tenants_token(world: World, app: str, clock: FrozenClock) -> tuple[str, str, dict[str, str] | None]:
    other_app = world.app_token("other")
    register(world, other_app, "elsewhere@example.com", headers=OTHER_TENANT)
    foreign = sign_in(world, other_app, "elsewhere@example.com", headers=OTHER_TENANT)
    return app, foreign["refreshToken"], None


def presented_to_other_tenant(
    world: World, app: str, clock: FrozenClock
) -> tuple[str, str, dict[str, str] | None]:
    return world.app_token("other"), sign_in(world, app)["refreshToken"], OTHER_TENANT


def expired(world: World, app: str, clock: FrozenClock) -> tuple[str, str, dict[str, str] | None]:
    ticket = sign_in(world, app)
    clock.advance(minutes=60 * 24, seconds=1)
    stored = refresh_items_of(world, sid_of(ticket["refreshToken"]))
    assert [item["pk"]["S"] for item in stored] == [f"REFRESH#{sha256(ticket['refreshToken'])}"]
    return world.app_token(), ticket["refreshToken"], None


def expired_exactly_at_its_end(
    world: World, app: str, clock: FrozenClock
) -> tuple[str, str, dict[str, str] | None]:
    ticket = sign_in(world, app)
    clock.now = moment(ticket["refreshTokenExpiration"])
    return world.app_token(), ticket["refreshToken"], None


def logged_out(world: World, app: str, clock: FrozenClock) -> tuple[str, str, dict[str, str] | None]:
    ticket = sign_in(world, app)
    assert log_out(world, app, ticket["refreshToken"]).status == 204
    return app, ticket["refreshToken"], None


def reused_after_the_grace_window(
    world: World, app: str, clock: FrozenClock
) -> tuple[str, str, dict[str, str] | None]:
    ticket = sign_in(world, app)
    ok(refresh(world, app, ticket["refreshToken"]))
    clock.advance(seconds=GRACE_SECONDS + 1)
    return app, ticket["refreshToken"], None


BAD_TOKENS: dict[str, BadToken] = {
    "x": garbage("x"),
    "43-random-characters": random_43,
    "well-formed-unknown": garbage(f"{TENANT_ID}.1.{'0' * 32}.{'A' * 43}"),
    "tampered-secret": tampered_secret,
    "another-accounts-locator": another_accounts_locator,
    "other-tenants-token": other_tenants_token,
    "presented-to-the-other-tenant": presented_to_other_tenant,
    "expired-not-yet-deleted": expired,
    "expired-exactly-at-its-end": expired_exactly_at_its_end,
    "revoked-by-log-out": logged_out,
    "reused-after-the-grace-window": reused_after_the_grace_window,
}


@pytest.mark.parametrize("arrange", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
@pytest.mark.parametrize("via", ["query", "body"])
def test_every_bad_refresh_token_gets_the_same_401(
    world: World, app: str, account_id: int, clock: FrozenClock, arrange: BadToken, via: str
) -> None:
    reference = assert_invalid_token(refresh(world, app, "x"))
    presenter, token, headers = arrange(world, app, clock)
    before = Counter(item["kind"]["S"] for item in world.scan())

    result = refresh(world, presenter, token, via=via, headers=headers)

    assert assert_invalid_token(result) == reference
    assert reference["message"] == "The refresh token is not valid."
    assert reference["additionalErrorData"] == []
    assert "no-store" not in result.headers.get("cache-control", "")
    after = Counter(item["kind"]["S"] for item in world.scan())
    assert after["refreshToken"] == before["refreshToken"]  # nothing minted
    assert after["accessToken"] == before["accessToken"]


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ({}, None),
        ({}, {}),
        ({}, {"refreshToken": None}),
        ({"refreshToken": ""}, None),
        ({}, {"refreshToken": ""}),
    ],
    ids=["nothing", "empty-body", "null-in-body", "empty-query-value", "empty-in-body"],
)
def test_a_missing_refresh_token_is_a_400_naming_it(
    world: World, app: str, query: dict[str, str], body: dict[str, Any] | None
) -> None:
    result = world.api.call("PUT", REFRESH, body, token=app, query=query)

    assert result.status == 400, result.text
    assert result.json["errorCode"] == "MISSING_OR_INVALID_PARAMETER"
    assert {"name": "field", "value": "refreshToken"} in result.json["additionalErrorData"]


# -- the grace window -------------------------------------------------------------------------------
@pytest.mark.parametrize("delay", [0, 1, GRACE_SECONDS - 1])
def test_the_immediate_parent_inside_the_grace_window_gets_the_same_child_and_writes_nothing(
    world: World, app: str, account_id: int, clock: FrozenClock, delay: int
) -> None:
    parent = sign_in(world, app)
    child = ok(refresh(world, app, parent["refreshToken"]))
    clock.advance(seconds=delay)
    before = world.scan()

    again = ok(refresh(world, app, parent["refreshToken"]))

    assert world.scan() == before
    for name in (
        "refreshToken",
        "accessToken",
        "jwtAccessToken",
        "accessTokenExpiration",
        "refreshTokenExpiration",
    ):
        assert again[name] == child[name]
    assert again["customerAccount"]["id"] == account_id
    grandchild = ok(refresh(world, app, child["refreshToken"]))  # the child is still the head
    assert grandchild["refreshToken"] != child["refreshToken"]


def test_the_immediate_parent_after_the_grace_window_revokes_the_family(
    world: World, app: str, account_id: int, clock: FrozenClock
) -> None:
    parent = sign_in(world, app)
    child = ok(refresh(world, app, parent["refreshToken"]))
    other_session = sign_in(world, app)
    clock.advance(seconds=GRACE_SECONDS + 1)

    assert_invalid_token(refresh(world, app, parent["refreshToken"]))

    assert_revoked(world, app, child)
    assert_invalid_token(refresh(world, app, parent["refreshToken"]))
    assert refresh_items_of(world, sid_of(child["refreshToken"]))  # left for TTL, yet dead
    assert ok(refresh(world, app, other_session["refreshToken"]))  # other sessions live on


def test_a_grandparent_inside_the_grace_window_revokes_the_family(
    world: World, app: str, account_id: int, clock: FrozenClock
) -> None:
    a = sign_in(world, app)
    b = ok(refresh(world, app, a["refreshToken"]))
    clock.advance(seconds=1)
    c = ok(refresh(world, app, b["refreshToken"]))
    clock.advance(seconds=1)

    assert_invalid_token(refresh(world, app, a["refreshToken"]))

    assert_revoked(world, app, c)
    assert_invalid_token(refresh(world, app, b["refreshToken"]))


def test_the_child_presented_after_a_grace_replay_still_rotates_once(
    world: World, app: str, account_id: int, clock: FrozenClock
) -> None:
    parent = sign_in(world, app)
    child = ok(refresh(world, app, parent["refreshToken"]))
    ok(refresh(world, app, parent["refreshToken"]))
    clock.advance(seconds=1)
    grandchild = ok(refresh(world, app, child["refreshToken"]))
    clock.advance(seconds=1)

    # The parent is no longer the head's immediate parent: it is a reuse.
    assert_invalid_token(refresh(world, app, parent["refreshToken"]))
    assert_revoked(world, app, grandchild)


@pytest.mark.parametrize("delay", [0, 1], ids=["same-instant", "a-second-later"])
def test_a_strict_tenant_revokes_the_family_on_immediate_reuse(
    world: World, app: str, account_id: int, clock: FrozenClock, delay: int
) -> None:
    with_grace(world, 0)
    parent = sign_in(world, app)
    child = ok(refresh(world, app, parent["refreshToken"]))
    clock.advance(seconds=delay)

    assert_invalid_token(refresh(world, app, parent["refreshToken"]))

    assert_revoked(world, app, child)


# -- concurrent refreshes ---------------------------------------------------------------------------
def test_concurrent_refreshes_through_the_handlers_produce_one_child(
    world: World, app: str, account_id: int, clock: FrozenClock
) -> None:
    parent = sign_in(world, app)
    sid = sid_of(parent["refreshToken"])
    before = Counter(item["kind"]["S"] for item in world.scan())

    def call() -> HttpResult:
        return refresh(world, app, parent["refreshToken"])

    results = race([call] * RACERS)

    assert [result.status for result in results] == [200] * RACERS, [r.text for r in results]
    children = {result.json["refreshToken"] for result in results}
    assert len(children) == 1
    (child,) = children
    assert len({result.json["accessToken"] for result in results}) == 1
    assert len({result.json["jwtAccessToken"] for result in results}) == 1
    after = Counter(item["kind"]["S"] for item in world.scan())
    assert after - before == Counter({"refreshToken": 1, "accessToken": 1})
    assert len(refresh_items_of(world, sid)) == 2
    session = session_item(world, sid)
    assert session is not None
    assert session["headDigest"]["S"] == sha256(child)
    assert session["parentDigest"]["S"] == sha256(parent["refreshToken"])

    clock.advance(seconds=GRACE_SECONDS + 1)
    assert_invalid_token(refresh(world, app, parent["refreshToken"]))
    assert_revoked(world, app, results[0].json)


class CountingClient(SerializedClient):
    """A SerializedClient that also counts the transactions DynamoDB accepted."""

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self._count_lock = threading.Lock()
        self.written = 0

    def release(self) -> None:
        """Let transactions run freely again (after the race)."""
        self._writers = None

    def transact_write_items(self, **kwargs: Any) -> Any:
        result = super().transact_write_items(**kwargs)
        with self._count_lock:
            self.written += 1
        return result


@pytest.fixture
def counted_dynamodb(world: World, monkeypatch: pytest.MonkeyPatch) -> CountingClient:
    store = runtime.store()
    client = CountingClient(store._db)
    monkeypatch.setattr(store, "_db", client)
    return client


RACER = Caller("racing-app", TENANT_ID, None, frozenset({Behavior.TICKET_CREATE.value}))
Outcome = CustomerAuthTicket | InvalidToken
INTERLEAVINGS = ["free-running", "all-reads-before-any-write"]


def race_refreshes(token: str) -> list[Outcome]:
    """``RACERS`` threads released together, each refreshing ``token`` with the ticket service
    (what the handler calls), as concurrent Lambda environments would."""

    def refresh_once() -> Outcome:
        try:
            return runtime.ticket_service().refresh(RACER, token, None)
        except InvalidToken as refused:
            return refused

    return race([refresh_once] * RACERS)


def arrange(db: CountingClient, interleaving: str) -> None:
    db.transactions = db.written = 0
    if interleaving == "all-reads-before-any-write":
        db.hold_transactions_until(RACERS)


def check_arranged(db: CountingClient, interleaving: str) -> None:
    """In the worst interleaving every racer read the same head and tried to rotate it."""
    db.release()
    if interleaving == "all-reads-before-any-write":
        assert db.transactions == RACERS
    assert db.written == 1


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_racing_refreshes_of_one_token_rotate_once_and_all_get_the_child(
    world: World, app: str, account_id: int, counted_dynamodb: CountingClient, interleaving: str
) -> None:
    parent = sign_in(world, app)
    sid = sid_of(parent["refreshToken"])
    before = Counter(item["kind"]["S"] for item in world.scan())
    arrange(counted_dynamodb, interleaving)

    results = race_refreshes(parent["refreshToken"])

    assert all(isinstance(result, CustomerAuthTicket) for result in results), results
    tickets = [result for result in results if isinstance(result, CustomerAuthTicket)]
    check_arranged(counted_dynamodb, interleaving)
    assert len({ticket.refresh_token for ticket in tickets}) == 1
    assert len({ticket.access_token for ticket in tickets}) == 1
    assert len({ticket.jwt_access_token for ticket in tickets}) == 1
    child = tickets[0].refresh_token
    assert child is not None
    assert child != parent["refreshToken"]
    after = Counter(item["kind"]["S"] for item in world.scan())
    assert after - before == Counter({"refreshToken": 1, "accessToken": 1})
    session = session_item(world, sid)
    assert session is not None
    assert session["headDigest"]["S"] == sha256(child)
    assert ok(refresh(world, app, child))["refreshToken"] != child  # the child is a working head


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_racing_refreshes_on_a_strict_tenant_rotate_once_and_revoke_the_family(
    world: World, app: str, account_id: int, counted_dynamodb: CountingClient, interleaving: str
) -> None:
    with_grace(world, 0)
    parent = sign_in(world, app)
    sid = sid_of(parent["refreshToken"])
    before = Counter(item["kind"]["S"] for item in world.scan())
    arrange(counted_dynamodb, interleaving)

    results = race_refreshes(parent["refreshToken"])

    winners = [result for result in results if isinstance(result, CustomerAuthTicket)]
    losers = [result for result in results if isinstance(result, InvalidToken)]
    assert (len(winners), len(losers)) == (1, RACERS - 1), results
    check_arranged(counted_dynamodb, interleaving)
    assert {loser.message for loser in losers} == {"The refresh token is not valid."}
    after = Counter(item["kind"]["S"] for item in world.scan())
    assert after["refreshToken"] - before["refreshToken"] == 1
    assert session_item(world, sid) is None
    child = winners[0].refresh_token
    assert child is not None
    assert_invalid_token(refresh(world, app, child))
    assert current(world, app, winners[0].access_token).status == 401


# -- revocation by the login's owner and the operator -----------------------------------------------
def test_a_password_change_revokes_every_refresh_token(world: World, app: str, account_id: int) -> None:
    first, second = sign_in(world, app), sign_in(world, app)
    changed = world.api.call(
        "POST",
        f"/api/commerce/customer/accounts/{account_id}/Change-Password",
        {"oldPassword": PASSWORD, "newPassword": "an entirely new passphrase"},
        token=app,
    )
    assert changed.status == 204, changed.text

    for ticket in (first, second):
        assert_invalid_token(refresh(world, app, ticket["refreshToken"]))


def test_an_operator_lock_revokes_every_refresh_token_and_an_unlock_does_not_revive_them(
    world: World, app: str, account_id: int
) -> None:
    ticket = sign_in(world, app)
    path = f"/api/commerce/customer/accounts/{account_id}/Set-Login-Locked"
    assert world.api.call("POST", path, token=app, raw_body=b"true").status == 204

    assert_invalid_token(refresh(world, app, ticket["refreshToken"]))

    assert world.api.call("POST", path, token=app, raw_body=b"false").status == 204
    assert_invalid_token(refresh(world, app, ticket["refreshToken"]))
    assert ok(refresh(world, app, sign_in(world, app)["refreshToken"]))


# -- the caller -------------------------------------------------------------------------------------
def test_a_caller_without_the_ticket_behavior_is_forbidden_and_consumes_nothing(
    world: World, app: str, account_id: int
) -> None:
    ticket = sign_in(world, app)
    reader = world.app_token("reader")
    before = world.scan()

    result = refresh(world, reader, ticket["refreshToken"])

    assert result.status == 403, result.text
    assert result.json["errorCode"] == "FORBIDDEN"
    assert world.scan() == before
    assert ok(refresh(world, app, ticket["refreshToken"]))


def test_a_refresh_without_an_app_token_is_unauthorized(world: World, app: str, account_id: int) -> None:
    ticket = sign_in(world, app)
    before = world.scan()

    result = refresh(world, None, ticket["refreshToken"])

    assert result.status == 401, result.text
    assert result.json["errorCode"] == "UNAUTHORIZED"
    assert world.scan() == before


# -- what operators watch ---------------------------------------------------------------------------
def _emitted(output: str, metric: str) -> list[Any]:
    """The values of ``metric`` in the EMF documents the handlers printed."""
    documents = [json.loads(line) for line in output.splitlines() if '"_aws"' in line]
    return [document[metric] for document in documents if metric in document]


def test_a_reused_refresh_token_is_counted_for_the_reuse_alarm_and_a_bad_one_is_not(
    world: World, app: str, account_id: int, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    with_grace(world, 0)
    parent = sign_in(world, app)
    ok(refresh(world, app, parent["refreshToken"]))
    assert_invalid_token(refresh(world, app, "not-a-token-we-issued-" + secrets.token_urlsafe(16)))
    assert _emitted(capsys.readouterr().out, "RefreshTokenReuse") == []
    clock.advance(seconds=1)

    assert_invalid_token(refresh(world, app, parent["refreshToken"]))

    assert _emitted(capsys.readouterr().out, "RefreshTokenReuse") == [[1.0]]


@pytest.mark.skipif(
    DYNAMODB_BACKEND != "dynamodb-local",
    reason="moto's backend is not thread-safe, so the races above serialize its calls",
)
@pytest.mark.parametrize("grace", ["grace-window", "strict"])
def test_truly_concurrent_refreshes_on_dynamodb_local_rotate_the_family_once(
    world: World, app: str, account_id: int, grace: str
) -> None:
    """No lock between the racers: DynamoDB Local settles the transactions itself, and a loser
    may see TransactionConflict rather than a failed condition."""
    if grace == "strict":
        with_grace(world, 0)
    parent = sign_in(world, app)
    sid = sid_of(parent["refreshToken"])

    results = race_refreshes(parent["refreshToken"])

    winners = [result for result in results if isinstance(result, CustomerAuthTicket)]
    assert len(winners) == (RACERS if grace == "grace-window" else 1), results
    assert len({ticket.refresh_token for ticket in winners}) == 1
    session = session_item(world, sid)
    if grace == "grace-window":
        assert session is not None
        assert session["headDigest"]["S"] == sha256(str(winners[0].refresh_token))
        assert ok(refresh(world, app, str(winners[0].refresh_token)))
    else:
        assert session is None
