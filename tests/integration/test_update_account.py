"""Update account (docs/contract.md §9): server-owned fields kept, a login's email and user name moved
with the account in one transaction (409 naming the field if taken, nothing written), sign-in by
the new identifier only, the AccountEmailChanged event, and concurrent updates applied whole."""

import json
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.accounts.administration import AccountAdminService
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.kernel.errors import Unavailable
from customer_auth.models.account import CustomerAccount
from customer_auth.models.auth import CustomerLoginInfo
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import OTHER_TENANT_ID, TENANT_ID, FrozenClock, HttpResult, World
from tests.support.races import SerializedClient, race

PASSWORD = "correct horse battery staple"
EMAIL = "ada@example.com"
NEW_EMAIL = "ada.king@example.com"
ACCOUNTS = "/api/commerce/customer/accounts"
TICKETS = "/api/commerce/customer/authtickets"


@pytest.fixture
def app(world: World) -> str:
    return world.app_token()


def register(world: World, app: str, email: str = EMAIL, username: str | None = None) -> dict[str, Any]:
    account_id = world.add_account(app, emailAddress=email, firstName="Ada")["id"]
    body: dict[str, Any] = {"emailAddress": email, "password": PASSWORD}
    if username is not None:
        body["username"] = username
    return ok(world.create_login(account_id, body, token=app))


def update(world: World, app: str, account_id: int, body: dict[str, Any], **kwargs: Any) -> HttpResult:
    return world.api.call("PUT", f"{ACCOUNTS}/{account_id}", body, token=app, **kwargs)


def read(world: World, app: str, account_id: int) -> dict[str, Any]:
    return ok(world.api.call("GET", f"{ACCOUNTS}/{account_id}", token=app))


def sign_in(world: World, app: str, username: str) -> HttpResult:
    return world.api.call("POST", TICKETS, {"username": username, "password": PASSWORD}, token=app)


def email_events(world: World) -> list[dict[str, Any]]:
    return [e["detail"] for e in world.mailer.events() if e["detail-type"] == "AccountEmailChanged"]


# -- the document -----------------------------------------------------------------------------------
def test_client_fields_change_and_server_owned_fields_are_ignored(
    world: World, app: str, clock: FrozenClock
) -> None:
    ticket = register(world, app)
    account = ticket["customerAccount"]
    clock.advance(minutes=5)
    body = {
        **account,
        "firstName": "Augusta",
        "acceptsMarketing": True,
        "id": 999,
        "userId": "f" * 32,
        "isAnonymous": True,
        "isLocked": True,
        "hasExternalPassword": True,
        "auditInfo": {"createBy": "mallory"},
        "last2FaDate": "2020-01-01T00:00:00Z",
        "commerceSummary": {"orderCount": 99},
    }

    result = update(world, app, account["id"], body)

    updated = ok(result)
    assert updated == read(world, app, account["id"])
    assert updated["firstName"] == "Augusta"
    assert updated["acceptsMarketing"] is True
    for name in ("id", "userId", "isAnonymous", "isLocked", "hasExternalPassword", "commerceSummary"):
        assert updated[name] == account[name], name
    assert "last2FaDate" not in updated or updated["last2FaDate"] == account.get("last2FaDate")
    assert updated["auditInfo"]["createBy"] == account["auditInfo"]["createBy"]
    assert updated["auditInfo"]["updateBy"] == world.clients["full"].client_id
    assert updated["auditInfo"]["updateDate"] != account["auditInfo"]["updateDate"]
    assert email_events(world) == []


def test_an_account_without_a_login_changes_its_email_freely(world: World, app: str) -> None:
    guest = world.add_account(app, emailAddress="guest@example.com")

    updated = ok(
        update(world, app, guest["id"], {**guest, "emailAddress": "other@example.com", "userName": "x"})
    )

    assert updated["emailAddress"] == "other@example.com"
    assert updated.get("userName") is None  # a user name comes with a login
    assert [i for i in world.scan() if i["kind"]["S"] == "loginIdentifier"] == []


# -- a login's identifiers --------------------------------------------------------------------------
def test_an_email_change_moves_the_login_sign_in_works_with_the_new_email_only(
    world: World, app: str
) -> None:
    ticket = register(world, app, username="ada")
    account = ticket["customerAccount"]

    updated = ok(update(world, app, account["id"], {**account, "emailAddress": NEW_EMAIL}))

    assert updated["emailAddress"] == NEW_EMAIL
    assert ok(sign_in(world, app, NEW_EMAIL))["customerAccount"]["id"] == account["id"]
    assert ok(sign_in(world, app, "ada"))["customerAccount"]["id"] == account["id"]
    assert_error(sign_in(world, app, EMAIL), 401, "INVALID_CREDENTIALS")
    reservations = {i["pk"]["S"] for i in world.scan() if i["kind"]["S"] == "loginIdentifier"}
    assert reservations == {f"LOGINID#{TENANT_ID}#{NEW_EMAIL}", f"LOGINID#{TENANT_ID}#ada"}
    # the old address is free: another login can take it
    assert register(world, app, EMAIL)["customerAccount"]["emailAddress"] == EMAIL


def test_an_email_change_sends_one_event_naming_both_addresses_and_no_secret(world: World, app: str) -> None:
    ticket = register(world, app)
    account = ticket["customerAccount"]
    world.mailer.events()

    ok(update(world, app, account["id"], {**account, "emailAddress": NEW_EMAIL}))

    [event] = email_events(world)
    assert event["oldEmailAddress"] == EMAIL
    assert event["newEmailAddress"] == NEW_EMAIL
    assert event["accountId"] == account["id"]
    assert event["userId"] == ticket["userId"]
    text = json.dumps(event)
    for secret in (PASSWORD, ticket["accessToken"], ticket["refreshToken"], "argon2"):
        assert secret not in text
    # a change of case moves nothing and tells nobody
    ok(update(world, app, account["id"], {**account, "emailAddress": NEW_EMAIL.upper()}))
    assert email_events(world) == []


def test_a_user_name_change_moves_its_reservation(world: World, app: str) -> None:
    account = register(world, app, username="ada")["customerAccount"]

    updated = ok(update(world, app, account["id"], {**account, "userName": "countess"}))

    assert updated["userName"] == "countess"
    assert ok(sign_in(world, app, "countess"))["customerAccount"]["id"] == account["id"]
    assert_error(sign_in(world, app, "ada"), 401, "INVALID_CREDENTIALS")
    assert email_events(world) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [({"emailAddress": "taken@example.com"}, "emailAddress"), ({"userName": "Taken"}, "userName")],
    ids=["email", "user-name"],
)
def test_moving_onto_a_taken_identifier_is_409_naming_the_field_and_writes_nothing(
    world: World, app: str, change: dict[str, str], field: str
) -> None:
    register(world, app, "taken@example.com", username="taken")
    account = register(world, app, username="ada")["customerAccount"]
    world.mailer.events()
    before = world.scan()

    result = update(world, app, account["id"], {**account, **change})

    assert_error(result, 409, "VALIDATION_CONFLICT")
    assert result.json["additionalErrorData"] == [{"name": "field", "value": field}]
    assert world.scan() == before
    assert email_events(world) == []
    assert ok(sign_in(world, app, EMAIL))["customerAccount"]["id"] == account["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"emailAddress": "not an email"}, "emailAddress"), ({"userName": "  "}, "username")],
)
def test_bad_identifiers_are_400_and_write_nothing(
    world: World, app: str, change: dict[str, str], field: str
) -> None:
    account = register(world, app)["customerAccount"]
    before = world.scan()

    result = update(world, app, account["id"], {**account, **change})

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER")
    assert world.scan() == before


# -- refusals ---------------------------------------------------------------------------------------
def test_unknown_and_foreign_accounts_are_404(world: World, app: str) -> None:
    account = register(world, app)["customerAccount"]
    other = world.app_token("other")
    before = world.scan()

    assert_error(update(world, app, 123456, account), 404, "ITEM_NOT_FOUND")
    foreign = update(
        world,
        other,
        account["id"],
        account,
        headers={"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"},
    )
    assert_error(foreign, 404, "ITEM_NOT_FOUND")
    assert world.scan() == before


def test_it_needs_the_update_behavior(world: World, app: str) -> None:
    account = register(world, app)["customerAccount"]
    reader = world.app_token("reader")
    before = world.scan()

    assert_error(update(world, reader, account["id"], account), 403, "FORBIDDEN")
    assert world.scan() == before


def test_if_the_event_cannot_be_put_the_update_is_undone_and_503(
    world: World, app: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = register(world, app)
    account = ticket["customerAccount"]

    class Down:
        def publish(self, _: Any) -> None:
            raise Unavailable("bus down")

    monkeypatch.setattr(runtime, "code_outbox", lambda: Down())

    result = update(world, app, account["id"], {**account, "emailAddress": NEW_EMAIL, "firstName": "X"})

    assert_error(result, 503, "SERVICE_UNAVAILABLE")
    assert read(world, app, account["id"])["emailAddress"] == EMAIL
    assert read(world, app, account["id"])["firstName"] == "Ada"
    assert ok(sign_in(world, app, EMAIL))["customerAccount"]["id"] == account["id"]
    assert_error(sign_in(world, app, NEW_EMAIL), 401, "INVALID_CREDENTIALS")


# -- races ------------------------------------------------------------------------------------------
def _caller(world: World) -> Caller:
    everything = frozenset(
        {"customer:account:update", "customer:account:delete", "customer-auth:login:create"}
    )
    return Caller(world.clients["full"].client_id, TENANT_ID, None, everything)


def test_concurrent_updates_are_each_applied_whole(
    world: World, app: str, serialized_dynamodb: SerializedClient
) -> None:
    account = register(world, app)["customerAccount"]
    service = runtime.account_admin_service()
    who = _caller(world)
    documents = [
        CustomerAccount.model_validate({**account, "firstName": f"Name{i}", "lastName": f"Last{i}"})
        for i in range(4)
    ]

    results = race([lambda d=d: service.update(who, None, account["id"], d) for d in documents])

    final = read(world, app, account["id"])
    assert (final["firstName"], final["lastName"]) in {(f"Name{i}", f"Last{i}") for i in range(4)}
    assert {r.first_name for r in results} == {f"Name{i}" for i in range(4)}


def test_an_update_taking_an_email_races_a_create_login_for_it_exactly_one_wins(
    world: World, app: str, serialized_dynamodb: SerializedClient
) -> None:
    mover = register(world, app, username="mover")["customerAccount"]
    guest = world.add_account(app, emailAddress="prize@example.com")
    service = runtime.account_admin_service()
    who = _caller(world)
    moved = CustomerAccount.model_validate({**mover, "emailAddress": "prize@example.com"})

    def move() -> str:
        try:
            service.update(who, None, mover["id"], moved)
        except Exception as error:
            return type(error).__name__
        return "moved"

    info = CustomerLoginInfo.model_validate({"emailAddress": "prize@example.com", "password": PASSWORD})
    logins = runtime.login_service()

    def create() -> str:
        try:
            logins.create_login(who, None, guest["id"], info)
        except Exception as error:
            return type(error).__name__
        return "created"

    outcomes = race([move, create])

    assert sorted(outcomes) in (["Conflict", "moved"], ["Conflict", "created"]), outcomes
    owners = [i for i in world.scan() if i["pk"]["S"] == f"LOGINID#{TENANT_ID}#prize@example.com"]
    assert len(owners) == 1
    winner = mover["id"] if "moved" in outcomes else guest["id"]
    assert int(owners[0]["accountId"]["N"]) == winner
    assert ok(sign_in(world, app, "prize@example.com"))["customerAccount"]["id"] == winner


def test_an_update_racing_a_delete_leaves_the_account_gone(
    world: World, app: str, serialized_dynamodb: SerializedClient
) -> None:
    account = register(world, app, username="ada")["customerAccount"]
    admin = runtime.account_admin_service()
    who = _caller(world)
    moved = CustomerAccount.model_validate({**account, "emailAddress": NEW_EMAIL})

    def attempt(call: Any) -> str:
        try:
            call()
        except Exception as error:
            return type(error).__name__
        return "ok"

    updated, deleted = race(
        [
            lambda: attempt(lambda: admin.update(who, None, account["id"], moved)),
            lambda: attempt(
                lambda: AccountAdminService(runtime.store(), runtime.now_clock()).delete(who, account["id"])
            ),
        ]
    )

    assert deleted == "ok"
    assert updated in {"ok", "NotFound"}
    assert [
        i for i in world.scan() if i["kind"]["S"] in {"account", "login", "loginIdentifier", "session"}
    ] == []
    assert_error(sign_in(world, app, NEW_EMAIL), 401, "INVALID_CREDENTIALS")
    assert_error(sign_in(world, app, EMAIL), 401, "INVALID_CREDENTIALS")


def test_a_user_name_that_was_the_email_follows_it_unless_the_client_changes_it(
    world: World, app: str
) -> None:
    account = register(world, app)["customerAccount"]  # no username: it defaulted to the email
    assert account["userName"] == EMAIL

    updated = ok(update(world, app, account["id"], {**account, "emailAddress": NEW_EMAIL}))

    assert updated["userName"] == NEW_EMAIL
    assert_error(sign_in(world, app, EMAIL), 401, "INVALID_CREDENTIALS")
    assert ok(sign_in(world, app, NEW_EMAIL))["customerAccount"]["id"] == account["id"]
    reservations = {i["pk"]["S"] for i in world.scan() if i["kind"]["S"] == "loginIdentifier"}
    assert reservations == {f"LOGINID#{TENANT_ID}#{NEW_EMAIL}"}
    chosen = ok(update(world, app, account["id"], {**updated, "emailAddress": EMAIL, "userName": "ada"}))
    assert (chosen["emailAddress"], chosen["userName"]) == (EMAIL, "ada")
