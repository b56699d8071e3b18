"""Passwordless sign-in end to end (issue 17's "done when"): `make run`'s server with a local outbox,
both routes 404 until the operator tool turns the tenant's switch on, then the walk over HTTP reading
the code from otp-sign-in-codes.jsonl, the same walk through Kibo's own SDK, and the timing of a
known and an unknown email, for the request and for the validation."""

import json
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    LocalServer,
    last_outbox_line,
    needs_kibo_sdk,
    registered,
    run_sdk_script,
    start_server,
    stop_server,
)
from tests.e2e.test_two_factor_e2e import Output, _shows_code, operator

PASSWORD = "passwordless passphrase 42"
AUTHTICKETS = "/api/commerce/customer/authtickets"
REQUEST = f"{AUTHTICKETS}/otp/request"
VALIDATE = f"{AUTHTICKETS}/otp/auth"


class PasswordlessServer:
    def __init__(self, server: LocalServer, codes: Path, output: Output, switched_off: list[Any]) -> None:
        self.server, self.codes, self.output = server, codes, output
        self.switched_off = switched_off
        """What the two routes answered before the operator turned the switch on."""

    def code_for(self, user_id: str) -> str:
        """The last code otp-sign-in-codes.jsonl holds for ``user_id`` (what the mailer would send)."""
        code: str = last_outbox_line(self.codes, user_id)["otpCode"]
        return code


@pytest.fixture(scope="module")
def passwordless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PasswordlessServer]:
    outbox = tmp_path_factory.mktemp("outbox") / "2fa-codes.jsonl"
    server = start_server({"CODE_OUTBOX_FILE": str(outbox)})
    assert server.process.stdout is not None
    output = Output(server.process.stdout)
    try:
        app = server.app_token()
        switched_off = [
            server.call("POST", REQUEST, {"email": "someone@example.com"}, token=app),
            server.call("POST", VALIDATE, {"email": "someone@example.com", "otpCode": "123456"}, token=app),
        ]
        put = operator(
            server,
            "tenant",
            "set",
            "--id",
            str(server.tenant_id),
            "--passwordless-sign-in",
        )
        assert put.returncode == 0, put.stderr
        assert json.loads(put.stdout)["signInPolicy"]["passwordlessSignIn"] is True
        yield PasswordlessServer(server, outbox.with_name("otp-sign-in-codes.jsonl"), output, switched_off)
    finally:
        stop_server(server)


def _email() -> str:
    return f"mailbox-{uuid.uuid4().hex[:10]}@example.com"


def test_with_the_switch_off_both_routes_answered_kibos_404(passwordless: PasswordlessServer) -> None:
    asked, validated = passwordless.switched_off
    assert (asked.status, asked.body["errorCode"]) == (404, "ITEM_NOT_FOUND")
    assert (validated.status, validated.body["errorCode"]) == (404, "ITEM_NOT_FOUND")


def test_the_code_from_the_local_outbox_signs_in_once(passwordless: PasswordlessServer) -> None:
    server = passwordless.server
    app = server.app_token()
    email = _email()
    created = registered(server, app, email, PASSWORD)

    asked = server.call("POST", REQUEST, {"email": email}, token=app)
    assert (asked.status, asked.body) == (204, None)
    code = passwordless.code_for(created["userId"])
    body = {"email": email, "otpCode": code, "fingerprint": "e2e-device", "region": "US"}
    signed_in = server.call("POST", VALIDATE, body, token=app)
    assert signed_in.status == 200, signed_in.body
    assert signed_in.body["customerAccount"]["id"] == created["customerAccount"]["id"]
    again = server.call("POST", VALIDATE, body, token=app)
    assert (again.status, again.body["errorCode"]) == (401, "INVALID_CREDENTIALS")

    passwordless.output.wait_for("OtpSignInRequested written to the local outbox", created["userId"])
    output = passwordless.output.text()
    assert str(passwordless.codes) in output, "the banner names the passwordless outbox"
    assert not _shows_code(output, code)


def test_a_known_and_an_unknown_email_are_answered_alike_and_in_similar_time(
    passwordless: PasswordlessServer,
) -> None:
    server = passwordless.server
    app = server.app_token()
    known = [_email() for _ in range(12)]
    users = {email: registered(server, app, email, PASSWORD)["userId"] for email in known}

    def timed(path: str, body: dict[str, Any]) -> tuple[float, tuple[int, Any]]:
        started = time.perf_counter()
        reply = server.call("POST", path, body, token=app)
        answer = (
            reply.body
            if reply.status == 204
            else {k: v for k, v in reply.body.items() if k != "correlationId"}
        )
        return time.perf_counter() - started, (reply.status, answer)

    timed(REQUEST, {"email": _email()})  # warm both paths
    timed(REQUEST, {"email": known[0]})
    times: dict[str, list[float]] = {
        k: [] for k in ("request known", "request unknown", "validate known", "validate unknown")
    }
    answers: dict[str, set[str]] = {k: set() for k in times}
    for email in known[1:]:  # each known login's first code: the path that writes and sends
        for kind, address in (("known", email), ("unknown", _email())):
            elapsed, answer = timed(REQUEST, {"email": address})
            times[f"request {kind}"].append(elapsed)
            answers[f"request {kind}"].add(json.dumps(answer))
        code = passwordless.code_for(users[email])
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for kind, address in (("known", email), ("unknown", _email())):
            elapsed, answer = timed(VALIDATE, {"email": address, "otpCode": wrong})
            times[f"validate {kind}"].append(elapsed)
            answers[f"validate {kind}"].add(json.dumps(answer))

    medians = {kind: statistics.median(t) * 1000 for kind, t in times.items()}
    print(f"passwordless sign-in over HTTP (median ms): {medians}")
    assert answers["request known"] == answers["request unknown"] == {json.dumps([204, None])}
    assert answers["validate known"] == answers["validate unknown"]
    assert len(answers["validate known"]) == 1
    for route in ("request", "validate"):
        pair = medians[f"{route} known"], medians[f"{route} unknown"]
        assert max(pair) / min(pair) <= 1.2, medians


@needs_kibo_sdk
def test_kibo_rest_sdk_signs_in_with_an_emailed_code_unmodified(passwordless: PasswordlessServer) -> None:
    email = _email()
    result = run_sdk_script(passwordless.server, "passwordless.js", EMAIL=email, OTPS=str(passwordless.codes))

    assert len(result["otpCode"]) == 6
    assert result.get("known") is None
    assert result.get("unknown") is None
    account_id = result["created"]["customerAccount"]["id"]
    assert result["ticket"]["customerAccount"]["id"] == account_id
    assert result["ticket"]["requires2FA"] is False
    assert result["refreshed"]["refreshToken"] != result["ticket"]["refreshToken"]
    assert result["current"] == {"id": account_id, "emailAddress": email}
    assert result["codeAgain"] == {"status": 401, "errorCode": "INVALID_CREDENTIALS"}
    assert result["unknownEmail"] == {"status": 401, "errorCode": "INVALID_CREDENTIALS"}
    assert not _shows_code(passwordless.output.text(), result["otpCode"])
