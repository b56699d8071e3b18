"""Two-factor races between Lambda environments (tests/support/races.py): concurrent verifications
of one code and concurrent requests for a code, each thread calling the service as its handler would."""

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.caller import Caller
from customer_auth.domain.kernel.errors import (
    InvalidCode,
    InvalidCredentials,
    TooManyRequests,
    Unauthenticated,
)
from customer_auth.models.auth import CustomerAuthTicket
from tests.integration.test_two_factor import (
    code_for,
    code_item,
    items_of_kind,
    other_than,
    registered,
    set_policy,
    verify,
    waiting_ticket,
)
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import TENANT_ID, World
from tests.support.races import SerializedClient, race

RACER = Caller("racing-app", TENANT_ID, None, frozenset({Behavior.TICKET_CREATE.value}))
INTERLEAVINGS = ["free-running", "all-reads-before-any-write"]
Outcome = CustomerAuthTicket | Exception | None


@pytest.fixture
def app(world: World) -> str:
    return world.app_token()


def attempt(call: Callable[[], CustomerAuthTicket | None]) -> Callable[[], Outcome]:
    def run() -> Outcome:
        try:
            return call()
        except Exception as error:  # the outcome is what the test checks
            return error

    return run


def status(outcome: Outcome) -> int | str:
    """The HTTP status the handler would answer with for ``outcome``."""
    if outcome is None:
        return 204
    if isinstance(outcome, CustomerAuthTicket):
        return 200
    if isinstance(outcome, (Unauthenticated, InvalidCredentials)):
        return 401
    if isinstance(outcome, TooManyRequests):
        return 429
    return repr(outcome)


def verify_call(waiting: dict[str, Any], code: str) -> Callable[[], Outcome]:
    return attempt(
        lambda: runtime.two_factor_service().verify(RACER, waiting["accessToken"], waiting["userId"], code)
    )


def request_call(waiting: dict[str, Any]) -> Callable[[], Outcome]:
    return attempt(lambda: runtime.two_factor_service().request_code(RACER, waiting["accessToken"]))


def waiting_sessions(world: World) -> list[dict[str, Any]]:
    return [session for session in items_of_kind(world, "session") if "awaiting2Fa" in session]


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_concurrent_right_codes_start_exactly_one_session(
    world: World, app: str, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    sessions_before = len(items_of_kind(world, "session"))
    refresh_before = len(items_of_kind(world, "refreshToken"))
    transactions_before = serialized_dynamodb.transactions
    if interleaving == "all-reads-before-any-write":
        serialized_dynamodb.in_lockstep(10)

    outcomes = race([verify_call(waiting, code) for _ in range(10)])

    assert Counter(map(status, outcomes)) == Counter({200: 1, 401: 9}), outcomes
    if interleaving == "all-reads-before-any-write":
        # every racer read the open code and tried its transaction; one committed
        assert serialized_dynamodb.transactions - transactions_before == 10
    (winner,) = [outcome for outcome in outcomes if isinstance(outcome, CustomerAuthTicket)]
    assert waiting_sessions(world) == []
    assert len(items_of_kind(world, "session")) == sessions_before  # the waiting one replaced
    assert len(items_of_kind(world, "refreshToken")) == refresh_before + 1
    refreshed = world.api.call(
        "PUT", "/api/commerce/customer/authtickets/refresh", {"refreshToken": winner.refresh_token}, token=app
    )
    assert ok(refreshed)["refreshToken"]
    stored = code_item(world)
    assert stored is not None
    assert "codeDigest" not in stored


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_concurrent_wrong_codes_spend_the_code_exactly(
    world: World, app: str, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    if interleaving == "all-reads-before-any-write":
        serialized_dynamodb.in_lockstep(6)

    outcomes = race([verify_call(waiting, other_than(code)) for _ in range(6)])

    assert [type(outcome) for outcome in outcomes] == [InvalidCode] * 6, outcomes
    stored = code_item(world)
    assert stored is not None
    assert stored["triesLeft"] == 0
    assert "codeDigest" not in stored
    assert stored["version"] == 1 + 3  # issued, then exactly three tries written
    assert_error(
        verify(world, app, waiting["accessToken"], waiting["userId"], code), 401, "INVALID_CREDENTIALS"
    )
    assert len(waiting_sessions(world)) == 1


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_concurrent_wrong_and_right_codes_never_let_a_fourth_try_through(
    world: World, app: str, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    code = code_for(world, app, waiting)
    if interleaving == "all-reads-before-any-write":
        serialized_dynamodb.in_lockstep(4)

    outcomes = race([verify_call(waiting, other_than(code)) for _ in range(3)] + [verify_call(waiting, code)])

    statuses = list(map(status, outcomes))
    assert statuses[:3] == [401] * 3, outcomes
    # The right code wins only while a try is left: either it did, or three wrong tries spent it.
    stored = code_item(world)
    assert stored is not None
    assert stored["triesLeft"] >= 0
    assert "codeDigest" not in stored
    if statuses[3] == 200:
        assert waiting_sessions(world) == []
    else:
        assert statuses[3] == 401
        assert stored["version"] == 1 + 3
        assert len(waiting_sessions(world)) == 1


@pytest.mark.parametrize("interleaving", INTERLEAVINGS)
def test_concurrent_code_requests_send_exactly_one_code(
    world: World, app: str, serialized_dynamodb: SerializedClient, interleaving: str
) -> None:
    set_policy(always=True)
    registered(world, app)
    waiting = waiting_ticket(world, app)
    runtime.code_outbox()  # built once, as a warm environment holds it
    if interleaving == "all-reads-before-any-write":
        serialized_dynamodb.in_lockstep(5)

    outcomes = race([request_call(waiting) for _ in range(5)])

    assert Counter(map(status, outcomes)) == Counter({204: 1, 429: 4}), outcomes
    assert all(outcome.retry_after >= 1 for outcome in outcomes if isinstance(outcome, TooManyRequests))
    (code,) = world.mailer.codes()
    stored = code_item(world)
    assert stored is not None
    assert len(stored["requestedAt"]) == 1
    assert stored["version"] == 1
    ok(verify(world, app, waiting["accessToken"], waiting["userId"], code))
