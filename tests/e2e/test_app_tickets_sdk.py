"""Kibo's own SDK authenticates apps against the local server: AppAuthTicketsApi's older app
ticket (authenticateApp, refreshAppAuthTicket, deleteAppAuthTicket) and oauthAuthenticateApp
with the SDK's camelCase body, each called unmodified (tests/sdk/app_tickets.js)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import LocalServer, needs_kibo_sdk, run_sdk_script

TICKET_FIELDS = {"accessToken", "accessTokenExpiration", "refreshToken", "refreshTokenExpiration"}
REFUSED = {"status": 401, "errorCode": "INVALID_CREDENTIALS"}


@pytest.fixture(scope="module")
def sdk(local_server: LocalServer) -> dict[str, Any]:
    """What the script's calls answered (one run: each call spends what the one before issued)."""
    return run_sdk_script(local_server, "app_tickets.js")


def _near(text: str, expected: datetime) -> bool:
    return abs(datetime.fromisoformat(text.replace("Z", "+00:00")) - expected) < timedelta(minutes=2)


@needs_kibo_sdk
def test_kibo_rest_sdk_authenticates_refreshes_and_deletes_an_app_ticket(
    sdk: dict[str, Any], local_server: LocalServer
) -> None:
    ticket, refreshed = sdk["ticket"], sdk["refreshed"]
    now = datetime.now(UTC)
    for issued in (ticket, refreshed):
        assert set(issued) == TICKET_FIELDS
        # make run's app token lifetimes: an hour, and a day for the refresh token
        assert _near(issued["accessTokenExpiration"], now + timedelta(hours=1))
        assert _near(issued["refreshTokenExpiration"], now + timedelta(days=1))
    assert refreshed["refreshToken"] != ticket["refreshToken"]
    assert refreshed["accessToken"] != ticket["accessToken"]
    assert set(sdk["projected"]) == {"accessToken"}
    assert sdk["wrongSecret"] == REFUSED
    assert sdk["reused"] == REFUSED
    assert sdk["tenant"] == {"id": local_server.tenant_id}
    assert sdk["deleted"] == "resolved"
    assert sdk["afterDelete"] == REFUSED


@needs_kibo_sdk
def test_kibo_rest_sdk_gets_an_oauth_app_token_with_its_own_camel_case_body(
    sdk: dict[str, Any], local_server: LocalServer
) -> None:
    oauth, renewed = sdk["oauth"], sdk["oauthRenewed"]
    assert oauth["token_type"] == renewed["token_type"] == "Bearer"
    assert oauth["expires_in"] == renewed["expires_in"] == 3600
    assert renewed["refresh_token"] != oauth["refresh_token"]
    assert sdk["oauthTenant"] == {"id": local_server.tenant_id}
