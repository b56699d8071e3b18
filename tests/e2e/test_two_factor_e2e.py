"""Two-factor sign-in end to end (issue 4's "done when"): `make run`'s server with a local outbox
file, the tenant's policy set with the operator tool as a user would, then the shopper's flow over
HTTP and through Kibo's own SDK."""

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from tests.e2e.conftest import (
    ROOT,
    LocalServer,
    last_outbox_line,
    needs_kibo_sdk,
    run_sdk_script,
    start_server,
    stop_server,
)

PASSWORD = "two factor passphrase 42"
SIGN_IN = "/api/commerce/customer/authtickets"
REQUEST_CODE = "/api/commerce/customer/authtickets/2fa/request"
VERIFY_CODE = "/api/commerce/customer/authtickets/2fa/auth"
ADD_ACCOUNT_AND_LOGIN = "/api/commerce/customer/accounts/Add-Account-And-Login"


@dataclass
class Output:
    """The server's output as it comes, read on a thread so a test can look at it while the
    server runs (stop_server would end it for the module's other tests)."""

    stream: IO[str]
    lines: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.stream:
            with self.lock:
                self.lines.append(line)

    def text(self) -> str:
        with self.lock:
            return "".join(self.lines)

    def wait_for(self, *needles: str, timeout: float = 10) -> str:
        """The first line holding every needle (the server logs before it answers, but this
        thread may not have read that far yet)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [line for line in self.lines if all(n in line for n in needles)]
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no server output line with {needles}:\n{self.text()}")


@dataclass
class TwoFactorServer:
    server: LocalServer
    outbox: Path
    output: Output

    def code_for(self, user_id: str) -> dict[str, Any]:
        """The last line the outbox holds for ``user_id`` (what the tenant's mailer would send)."""
        return last_outbox_line(self.outbox, user_id)


def operator(server: LocalServer, *args: str) -> subprocess.CompletedProcess[str]:
    """The operator tool on the server, as its banner prints it: it finds the server's DynamoDB,
    table, region and placeholder keys in the server's state file, so it needs no AWS variables."""
    assert server.state_file is not None
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME"))}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tools.operator", "--local-server", str(server.state_file), *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def two_factor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoFactorServer]:
    outbox = tmp_path_factory.mktemp("outbox") / "2fa-codes.jsonl"
    server = start_server({"CODE_OUTBOX_FILE": str(outbox)})
    assert server.process.stdout is not None
    output = Output(server.process.stdout)
    try:
        put = operator(
            server,
            "tenant",
            "set",
            "--id",
            str(server.tenant_id),
            "--two-factor",
            "fingerprint",
        )
        assert put.returncode == 0, put.stderr
        assert json.loads(put.stdout)["twoFactorPolicy"] == {
            "always": False,
            "onNewFingerprint": True,
            "onNewRegion": False,
        }
        yield TwoFactorServer(server, outbox, output)
    finally:
        stop_server(server)


def _shows_code(output: str, code: str) -> bool:
    """Whether the output names the code: its field, or the six digits standing alone (not inside
    a hex id or a timestamp's microseconds)."""
    return "otpCode" in output or re.search(rf"(?<![\w.]){code}(?!\w)", output) is not None


def _email() -> str:
    return f"shopper-{uuid.uuid4().hex[:10]}@example.com"


def _sign_in(server: LocalServer, app: str, email: str, fingerprint: str) -> dict[str, Any]:
    reply = server.call(
        "POST",
        SIGN_IN,
        {"username": email, "password": PASSWORD, "fingerprint": fingerprint, "region": "US"},
        token=app,
    )
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.body
    return body


def test_a_new_fingerprint_needs_the_code_from_the_outbox_and_is_trusted_after_it(
    two_factor: TwoFactorServer,
) -> None:
    server = two_factor.server
    app = server.app_token()
    email = _email()
    created = server.call(
        "POST",
        ADD_ACCOUNT_AND_LOGIN,
        {
            "account": {"emailAddress": email, "userName": email, "firstName": "Ada"},
            "password": PASSWORD,
            "fingerprint": "device-A",
            "region": "US",
        },
        token=app,
    )
    assert created.status == 200, created.body
    assert created.body["requires2FA"] is False
    assert created.body["refreshToken"]
    user_id = created.body["userId"]

    known = _sign_in(server, app, email, "device-A")
    assert known["requires2FA"] is False
    assert known["refreshToken"]

    waiting = _sign_in(server, app, email, "device-B")
    assert waiting["requires2FA"] is True
    assert waiting["accessToken"]
    assert waiting["refreshToken"] is None
    assert waiting["jwtAccessToken"] is None
    claims = {"x-vol-user-claims": waiting["accessToken"]}

    requested = server.call("POST", REQUEST_CODE, token=app, headers=claims)
    assert requested.status == 204, requested.body
    sent = two_factor.code_for(user_id)
    code = sent["otpCode"]
    assert len(code) == 6
    assert code.isdigit()
    assert (sent["tenantId"], sent["siteId"], sent["emailAddress"]) == (
        server.tenant_id,
        server.site_id,
        email,
    )

    full = server.call("POST", VERIFY_CODE, {"userId": user_id, "otpCode": code}, token=app, headers=claims)
    assert full.status == 200, full.body
    assert full.body["requires2FA"] is False
    assert full.body["userId"] == user_id
    assert full.body["refreshToken"]
    assert full.body["jwtAccessToken"]
    assert full.body["customerAccount"]["emailAddress"] == email
    assert full.body["customerAccount"]["last2FaDate"]

    trusted = _sign_in(server, app, email, "device-B")
    assert trusted["requires2FA"] is False
    assert trusted["refreshToken"]

    logged = two_factor.output.wait_for("outbox", user_id)
    assert str(two_factor.outbox) in logged
    output = two_factor.output.text()
    assert not _shows_code(output, code)
    assert PASSWORD not in output


@needs_kibo_sdk
def test_kibo_rest_sdk_drives_the_two_factor_sign_in_unmodified(two_factor: TwoFactorServer) -> None:
    email = _email()
    result = run_sdk_script(two_factor.server, "two_factor.js", EMAIL=email, OUTBOX=str(two_factor.outbox))

    assert result["created"]["requires2FA"] is False
    waiting = result["waiting"]
    assert waiting["requires2FA"] is True
    assert waiting["accessToken"]
    assert waiting["refreshToken"] is None
    assert waiting["jwtAccessToken"] is None
    assert waiting["userId"] == result["created"]["userId"]

    assert len(result["otpCode"]) == 6
    full = result["full"]
    assert full["requires2FA"] is False
    assert full["userId"] == waiting["userId"]
    assert full["refreshToken"]
    assert full["jwtAccessToken"]
    assert full["customerAccount"]["emailAddress"] == email
    assert full["customerAccount"]["last2FaDate"]
    assert result["trusted"]["requires2FA"] is False
    assert result["trusted"]["refreshToken"]

    two_factor.output.wait_for("outbox", waiting["userId"])
    assert not _shows_code(two_factor.output.text(), result["otpCode"])
