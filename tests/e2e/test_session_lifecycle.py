"""The issue's session life end to end over HTTP against `make run`'s server, and through Kibo's SDK."""

import json
import uuid
from pathlib import Path

from tests.e2e.conftest import (
    SEED,
    LocalServer,
    Reply,
    needs_kibo_sdk,
    run_sdk_script,
    start_server,
    stop_server,
)

ACCOUNTS = "/api/commerce/customer/accounts"
TICKETS = "/api/commerce/customer/authtickets"


def _email() -> str:
    return f"shopper-{uuid.uuid4().hex[:10]}@example.com"


def _strict_server(tmp_path: Path) -> LocalServer:
    """The demo seed with a grace window of 0: a spent refresh token is reuse at once, no waiting."""
    document = json.loads(json.dumps(SEED))
    document["tenant"]["signInPolicy"] = {"refreshGraceSeconds": 0}
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(document))
    return start_server({"SEED_FILE": str(seed_file)})


def _current(server: LocalServer, app: str, access_token: str) -> Reply:
    """The current account as a storefront asks: app token as Bearer, the shopper's in x-vol-user-claims."""
    return server.call("GET", f"{ACCOUNTS}/current", token=app, headers={"x-vol-user-claims": access_token})


def _refused(reply: Reply, error_code: str) -> bool:
    return (reply.status, reply.body["errorCode"]) == (401, error_code)


def test_session_life_over_http_refresh_reuse_revokes_the_family_and_global_log_out_ends_every_session(
    tmp_path: Path,
) -> None:
    email, password = _email(), f"lifecycle passphrase {uuid.uuid4().hex}"
    server = _strict_server(tmp_path)
    try:
        app = server.app_token()
        account = server.call("POST", ACCOUNTS, {"emailAddress": email, "firstName": "Ada"}, token=app)
        assert account.status == 200, account.body
        account_id = account.body["id"]
        created = server.call(
            "POST",
            f"{ACCOUNTS}/{account_id}/Create-Login",
            {"emailAddress": email, "password": password},
            token=app,
        )
        assert created.status == 200, created.body

        signed_in = server.call("POST", TICKETS, {"username": email, "password": password}, token=app)
        assert signed_in.status == 200, signed_in.body
        assert signed_in.headers["cache-control"] == "no-store"
        assert signed_in.body["customerAccount"]["id"] == account_id
        assert signed_in.body["userId"] == created.body["userId"]

        # Kibo's SDKs send the refresh token in the query string; we recommend the JSON body.
        first = server.call(
            "PUT", f"{TICKETS}/refresh", token=app, query={"refreshToken": signed_in.body["refreshToken"]}
        )
        assert first.status == 200, first.body
        second = server.call(
            "PUT", f"{TICKETS}/refresh", {"refreshToken": first.body["refreshToken"]}, token=app
        )
        assert second.status == 200, second.body
        issued = [t.body["refreshToken"] for t in (created, signed_in, first, second)]
        assert len(set(issued)) == 4
        assert second.body["customerAccount"]["id"] == account_id
        assert _current(server, app, second.body["accessToken"]).body["id"] == account_id

        # The token the first refresh returned was spent by the second: with this tenant's grace of
        # 0 s (the default 10 s would hand back the same child) presenting it again is reuse.
        reused = server.call(
            "PUT", f"{TICKETS}/refresh", token=app, query={"refreshToken": first.body["refreshToken"]}
        )
        assert _refused(reused, "INVALID_TOKEN"), reused.body
        newest = server.call(
            "PUT", f"{TICKETS}/refresh", {"refreshToken": second.body["refreshToken"]}, token=app
        )
        assert _refused(newest, "INVALID_TOKEN"), newest.body
        assert newest.body["message"] == reused.body["message"]
        original = server.call(
            "PUT", f"{TICKETS}/refresh", {"refreshToken": signed_in.body["refreshToken"]}, token=app
        )
        assert _refused(original, "INVALID_TOKEN"), original.body
        assert _refused(_current(server, app, second.body["accessToken"]), "UNAUTHORIZED")
        jwt_shopper = server.call("GET", f"{ACCOUNTS}/current", token=second.body["jwtAccessToken"])
        assert _refused(jwt_shopper, "UNAUTHORIZED"), jwt_shopper.body
        # Reuse revokes that family only: the Create-Login session lives on.
        assert _current(server, app, created.body["accessToken"]).status == 200

        again = server.call("POST", TICKETS, {"username": email, "password": password}, token=app)
        assert again.status == 200, again.body
        assert _current(server, app, again.body["accessToken"]).status == 200

        logged_out = server.call(
            "DELETE",
            TICKETS,
            token=app,
            query={"refreshToken": again.body["refreshToken"], "scope": "global"},
        )
        assert (logged_out.status, logged_out.body) == (204, None)
        for session in (created, again):
            assert _refused(_current(server, app, session.body["accessToken"]), "UNAUTHORIZED")
            by_jwt = server.call("GET", f"{ACCOUNTS}/current", token=session.body["jwtAccessToken"])
            assert _refused(by_jwt, "UNAUTHORIZED"), by_jwt.body
            refreshed = server.call(
                "PUT", f"{TICKETS}/refresh", {"refreshToken": session.body["refreshToken"]}, token=app
            )
            assert _refused(refreshed, "INVALID_TOKEN"), refreshed.body

        # Log out ends sessions, not the login: the shopper can sign in again.
        after = server.call("POST", TICKETS, {"username": email, "password": password}, token=app)
        assert after.status == 200, after.body
        assert _current(server, app, after.body["accessToken"]).body["id"] == account_id
    finally:
        log = stop_server(server)

    secrets = [password] + [
        ticket.body[name]
        for ticket in (created, signed_in, first, second, again, after)
        for name in ("accessToken", "refreshToken", "jwtAccessToken")
    ]
    assert [s for s in secrets if s in log] == []
    requests = [json.loads(line) for line in log.splitlines() if line.startswith('{"level"')]
    logged = {(r["method"], r["route"]) for r in requests if r.get("message") == "request"}
    assert {("PUT", f"{TICKETS}/refresh"), ("DELETE", TICKETS)} <= logged
    # The startup banner shows a curl session; past it, no query string of these routes.
    served = log[log.index('{"level"') :]
    assert "refreshToken=" not in served
    assert "scope=global" not in served


@needs_kibo_sdk
def test_kibo_rest_sdk_signs_up_signs_in_refreshes_and_reads_the_current_account_on_the_local_server(
    local_server: LocalServer,
) -> None:
    email = _email()
    result = run_sdk_script(local_server, "sign_in.js", EMAIL=email)
    created, signed_in, refreshed = result["created"], result["signedIn"], result["refreshed"]
    account_id = created["customerAccount"]["id"]
    assert created["customerAccount"]["emailAddress"] == email
    assert created["customerAccount"]["isAnonymous"] is False
    assert created["requires2FA"] is False
    assert signed_in["customerAccount"]["id"] == refreshed["customerAccount"]["id"] == account_id
    assert signed_in["userId"] == refreshed["userId"] == created["userId"]
    assert refreshed["refreshToken"] != signed_in["refreshToken"]
    assert refreshed["accessToken"] != signed_in["accessToken"]
    assert result["current"] == {"id": account_id, "emailAddress": email, "isAnonymous": False}
