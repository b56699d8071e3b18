"""`make run DB=dynamodb-local`: the local server on AWS's own emulator, its data kept on disk, so
a restart keeps the accounts, logins, sessions and the tokens already handed out."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import LocalServer, start_server, stop_server
from tools import dynamodb_local

pytestmark = pytest.mark.skipif(
    dynamodb_local.missing() is not None, reason=f"DynamoDB Local: {dynamodb_local.missing()}"
)

PASSWORD = "kept across restarts"
APP_TICKETS = "/api/platform/applications/authtickets"
ROOT = Path(__file__).resolve().parents[2]


def _on_dynamodb_local(data: Path, port: int | None = None) -> LocalServer:
    # An empty AWS_ENDPOINT_URL_DYNAMODB: the server starts its own emulator, even in the leg
    # whose session already runs one.
    environment = {"LOCAL_DB": "dynamodb-local", "LOCAL_DATA_DIR": str(data), "AWS_ENDPOINT_URL_DYNAMODB": ""}
    return start_server(environment, port)


def test_a_restart_keeps_accounts_sessions_and_the_tokens_handed_out(tmp_path: Path) -> None:
    server = _on_dynamodb_local(tmp_path)
    try:
        app = server.app_token()
        created = server.call(
            "POST",
            "/api/commerce/customer/accounts/Add-Account-And-Login",
            {"account": {"emailAddress": "kept@example.com", "firstName": "Kept"}, "password": PASSWORD},
            token=app,
        )
        assert created.status == 200, created.body
        credentials = {"applicationId": server.client_id, "sharedSecret": server.client_secret}
        app_ticket = server.call("POST", APP_TICKETS, credentials)
        assert app_ticket.status == 200, app_ticket.body
    finally:
        first_output = stop_server(server)
    assert "DynamoDB Local at http://127.0.0.1:" in first_output
    assert f"data kept in {tmp_path}" in first_output
    assert (tmp_path / "signing-keys.json").stat().st_mode & 0o077 == 0

    # The same address, as `make run` keeps it: the tokens' issuer is the server's URL.
    server = _on_dynamodb_local(tmp_path, int(server.base.rsplit(":", 1)[1]))
    try:
        account_id = created.body["customerAccount"]["id"]
        # The app token from before the restart still verifies: the signing keys were kept too.
        account = server.call("GET", f"/api/commerce/customer/accounts/{account_id}", token=app)
        assert account.status == 200, account.body
        assert account.body["emailAddress"] == "kept@example.com"
        refreshed = server.call(
            "PUT",
            "/api/commerce/customer/authtickets/refresh",
            {"refreshToken": created.body["refreshToken"]},
            token=app,
        )
        assert refreshed.status == 200, refreshed.body
        assert refreshed.body["customerAccount"]["id"] == account_id
        signed_in = server.call(
            "POST",
            "/api/commerce/customer/authtickets",
            {"username": "kept@example.com", "password": PASSWORD},
            token=server.app_token(),
        )
        assert signed_in.status == 200, signed_in.body
        # An older-style app ticket's refresh token renews after the restart too.
        renewed = server.call(
            "PUT", f"{APP_TICKETS}/refresh-ticket", {"refreshToken": app_ticket.body["refreshToken"]}
        )
        assert renewed.status == 200, renewed.body
        tenant = server.call(
            "GET", f"/api/platform/tenants/{server.tenant_id}", token=renewed.body["accessToken"]
        )
        assert tenant.status == 200, tenant.body
    finally:
        stop_server(server)


def test_a_new_data_folder_starts_empty(tmp_path: Path) -> None:
    server = _on_dynamodb_local(tmp_path / "one")
    try:
        app = server.app_token()
        created = server.call("POST", "/api/commerce/customer/accounts", {"firstName": "Once"}, token=app)
        assert created.status == 200
    finally:
        stop_server(server)

    server = _on_dynamodb_local(tmp_path / "two")
    try:
        missing = server.call(
            "GET", f"/api/commerce/customer/accounts/{created.body['id']}", token=server.app_token()
        )
        assert (missing.status, missing.body["errorCode"]) == (404, "ITEM_NOT_FOUND")
    finally:
        stop_server(server)


def test_without_the_emulator_make_run_says_why_and_stops(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tools.local_api", "--db", "dynamodb-local", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "DYNAMODB_LOCAL_HOME": str(tmp_path / "nowhere"), "AWS_ENDPOINT_URL_DYNAMODB": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 1
    assert f"DynamoDB Local is not installed in {tmp_path / 'nowhere'} (make dynamodb-local)" in run.stderr
    assert "Traceback" not in run.stderr
