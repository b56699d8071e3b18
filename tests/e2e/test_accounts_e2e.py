"""Issue 12 end to end through Kibo's SDK against `make run`'s server: the anonymous shopper's
ticket (verified with the JWKS, ``anon: "1"``, refreshed into an anonymous ticket again), and
deleteAccount (the account 404, its refresh token 401, a second delete 404, the email free), and
updateAccount (sign-in follows a moved email; moving onto a taken one is 409)."""

import re
import uuid
from typing import Any

import jwt

from tests.e2e.conftest import LocalServer, needs_kibo_sdk, run_sdk_script

KIBO_USER_CLAIMS = "https://www.kibocommerce.com/user_claims"


def _verified(token: str, jwks: dict[str, Any], audience: str) -> dict[str, Any]:
    keys = {key["kid"]: key for key in jwks["keys"]}
    key = jwt.PyJWK(keys[jwt.get_unverified_header(token)["kid"]])
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["ES256"], audience=audience)
    return claims


@needs_kibo_sdk
def test_kibo_sdk_gets_an_anonymous_ticket_that_verifies_says_anonymous_and_refreshes(
    local_server: LocalServer,
) -> None:
    result = run_sdk_script(local_server, "anonymous_shopper.js")
    anonymous, refreshed, jwks = result["anonymous"], result["refreshed"], result["jwks"]

    assert anonymous.get("customerAccount") is None
    assert re.fullmatch(r"[0-9a-f]{32}", anonymous["userId"])
    assert refreshed.get("customerAccount") is None
    assert refreshed["userId"] == anonymous["userId"]
    assert refreshed["refreshToken"] != anonymous["refreshToken"]
    for ticket in (anonymous, refreshed):
        audience = jwt.decode(ticket["jwtAccessToken"], options={"verify_signature": False})["aud"]
        claims = _verified(ticket["jwtAccessToken"], jwks, audience)
        assert claims["sub"] == anonymous["userId"]
        assert claims[KIBO_USER_CLAIMS]["anon"] == "1"
        assert claims[KIBO_USER_CLAIMS]["b.TenantId"] == str(local_server.tenant_id)
        assert claims[KIBO_USER_CLAIMS]["b.SiteId"] == str(local_server.site_id)
    assert result["currentStatus"] == 401


@needs_kibo_sdk
def test_kibo_sdk_deletes_an_account_whose_tokens_die_and_whose_email_is_free_again(
    local_server: LocalServer,
) -> None:
    email = f"erased-{uuid.uuid4().hex[:10]}@example.com"

    result = run_sdk_script(local_server, "delete_account.js", EMAIL=email)

    assert result["afterDelete"] == {"getAccount": 404, "refresh": 401, "signIn": 401, "secondDelete": 404}
    reused = result["reused"]
    assert reused["customerAccount"]["id"] != result["accountId"]
    assert reused["customerAccount"]["emailAddress"] == email


@needs_kibo_sdk
def test_kibo_sdk_moves_an_email_sign_in_follows_it_and_a_taken_email_is_409(
    local_server: LocalServer,
) -> None:
    tag = uuid.uuid4().hex[:10]
    email, new_email, taken = (f"{name}-{tag}@example.com" for name in ("ada", "augusta", "taken"))

    result = run_sdk_script(local_server, "update_account.js", EMAIL=email, NEW_EMAIL=new_email, TAKEN=taken)

    assert result["updated"]["emailAddress"] == new_email
    assert result["updated"]["firstName"] == "Augusta"
    assert result["signIns"] == {"newEmail": 200, "oldEmail": 401}
    assert result["ontoTaken"] == 409
    assert result["after"]["emailAddress"] == new_email
