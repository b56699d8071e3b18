"""The local router keeps concurrent requests apart, whatever powertools keeps in class state."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from customer_auth import pause
from tests.support.fixtures import World
from tools.local_api.router import Router
from tools.sam_template import Route


def test_concurrent_requests_to_different_functions_each_get_their_own_answer(world: World) -> None:
    token = world.app_token()
    account_ids = [world.add_account(token, firstName=f"n{n}")["id"] for n in range(6)]

    def read(account_id: int) -> tuple[int, int]:
        result = world.api.call("GET", f"/api/commerce/customer/accounts/{account_id}", token=token)
        return account_id, result.json["id"]

    def create(n: int) -> str:
        result = world.api.call(
            "POST", "/api/commerce/customer/accounts", {"firstName": f"new{n}"}, token=token
        )
        return f"new{n}" if result.json["firstName"] == f"new{n}" else result.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        reads = [pool.submit(read, account_ids[n % 6]) for n in range(40)]
        creates = [pool.submit(create, n) for n in range(40)]
        assert all(asked == answered for asked, answered in (f.result() for f in reads))
        assert [f.result() for f in creates] == [f"new{n}" for n in range(40)]


_WAITING_FUNCTION = """
import threading

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from customer_auth import pause


class App:
    context: dict = {}


app = App()
waiting = threading.Event()
seen = []


def lambda_handler(event, context):
    seen.append(event["who"])
    BaseRouter.current_event = event["who"]
    app.context = {"who": event["who"]}
    if event["wait"]:
        waiting.set()
        pause.sleep(event["wait"])
    return {"current_event": BaseRouter.current_event, "context": app.context["who"], "seen": list(seen)}
"""


def test_a_deliberate_wait_lets_another_invocation_run_and_gets_its_own_state_back(tmp_path: Path) -> None:
    """customer_auth.pause: while a padded answer waits out its floor the local server runs another
    invocation (as another Lambda environment would), then puts back what powertools keeps in
    class state before the waiting one goes on."""
    (tmp_path / "app.py").write_text(_WAITING_FUNCTION)
    route = Route("WaitsFunction", "POST", "/waits", tmp_path, "app.lambda_handler")
    router = Router([route])
    module = router.module(route)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(router.invoke, route, {"who": "first", "wait": 2.0})
        assert module.waiting.wait(timeout=10)
        second = pool.submit(router.invoke, route, {"who": "second", "wait": 0})
        assert second.result(timeout=1.5)["seen"] == ["first", "second"]  # ran during the wait
        assert first.result(timeout=10) == {
            "current_event": "first",
            "context": "first",
            "seen": ["first", "second"],
        }


def test_outside_an_invocation_a_deliberate_wait_is_a_plain_sleep() -> None:
    Router([])  # installs the router's wait

    pause.sleep(0)  # no invocation holds the lock: nothing to release
