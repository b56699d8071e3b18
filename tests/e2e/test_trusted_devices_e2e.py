"""Issue 16 end to end over HTTP against `make run`'s server: while an attacker who knows only the
email holds untrusted sign-ins locked, the customer signs in from the trusted browser."""

import secrets
import uuid

from tests.e2e.conftest import LocalServer

ACCOUNTS = "/api/commerce/customer/accounts"
TICKETS = "/api/commerce/customer/authtickets"


def test_an_attack_on_untrusted_sign_ins_leaves_the_trusted_browser_signing_in(
    local_server: LocalServer,
) -> None:
    server = local_server
    email, password = f"shopper-{uuid.uuid4().hex[:10]}@example.com", f"passphrase {uuid.uuid4().hex}"
    browser = secrets.token_urlsafe(16)  # what the storefront keeps in a first-party cookie
    app = server.app_token()
    account = server.call("POST", ACCOUNTS, {"emailAddress": email}, token=app)
    assert account.status == 200, account.body
    account_id = account.body["id"]
    created = server.call(
        "POST",
        f"{ACCOUNTS}/{account_id}/Create-Login",
        {"emailAddress": email, "password": password, "fingerprint": browser},
        token=app,
    )
    assert created.status == 200, created.body

    attacks = [
        server.call("POST", TICKETS, {"username": email, "password": f"guess {n}"}, token=app)
        for n in range(5)
    ]
    assert {(reply.status, reply.body["errorCode"]) for reply in attacks} == {(401, "INVALID_CREDENTIALS")}
    untrusted = server.call("POST", TICKETS, {"username": email, "password": password}, token=app)
    unknown = server.call(
        "POST",
        TICKETS,
        {"username": f"nobody-{uuid.uuid4().hex}@example.com", "password": password},
        token=app,
    )
    assert untrusted.status == 401
    assert {k: v for k, v in untrusted.body.items() if k != "correlationId"} == {
        k: v for k, v in unknown.body.items() if k != "correlationId"
    }

    trusted = server.call(
        "POST", TICKETS, {"username": email, "password": password, "fingerprint": browser}, token=app
    )

    assert trusted.status == 200, trusted.body
    assert trusted.body["customerAccount"]["id"] == account_id
    state = server.call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app)
    assert state.status == 200, state.body
    assert (state.body["isLocked"], state.body["failedLoginAttemptCount"]) == (True, 5)
    assert state.body["lockedTrustedDeviceCount"] == 0
