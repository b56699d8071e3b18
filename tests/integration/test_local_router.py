"""The local router keeps concurrent requests apart, whatever powertools keeps in class state."""

from concurrent.futures import ThreadPoolExecutor

from tests.support.fixtures import World


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
