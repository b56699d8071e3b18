"""The local server (`make run`) started as a subprocess on free ports, as a user would run it."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib import error, parse, request

import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = json.loads((ROOT / "tools/local_api/seed.json").read_text())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class LocalServer:
    base: str
    process: subprocess.Popen[str]
    tenant_id: int = SEED["tenant"]["id"]
    site_id: int = SEED["tenant"]["sites"][0]["id"]
    client_id: str = SEED["clients"][0]["clientId"]
    client_secret: str = SEED["clients"][0]["secret"]
    dynamodb: str | None = None
    """The DynamoDB the server uses, when it is not its embedded one (the DynamoDB Local leg)."""
    table: str = "customer-auth-local"
    state_file: Path | None = None
    """The state file the server writes while it serves (each test server has its own)."""

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """One request with the tenant and site headers; ``headers`` adds to (or overrides) them."""
        sent = {
            "content-type": "application/json",
            "x-vol-tenant": str(self.tenant_id),
            "x-vol-site": str(self.site_id),
        }
        if token:
            sent["authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        url = self.base + path + (f"?{parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        outgoing = request.Request(url, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with request.urlopen(outgoing, timeout=30) as response:  # noqa: S310 (loopback only)
                raw, status, reply_headers = response.read(), response.status, response.headers
        except error.HTTPError as failure:
            raw, status, reply_headers = failure.read(), failure.code, failure.headers
        return Reply(
            status, {k.lower(): v for k, v in reply_headers.items()}, json.loads(raw) if raw else None
        )

    def app_token(self) -> str:
        reply = self.call(
            "POST",
            "/api/platform/applications/authtickets/oauth",
            {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "grant_type": "client_credentials",
            },
        )
        assert reply.status == 200, reply.body
        token: str = reply.body["access_token"]
        return token


def start_server(extra_env: dict[str, str] | None = None, port: int | None = None) -> LocalServer:
    port = port or free_port()
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "TABLE_NAME", "SIGNING_KEYS", "TOKEN_", "PASSWORD_HASH", "RECOVERY_"))
    }
    environment["PORT"] = str(port)
    # Each server tells the operator tool where it is in a file of its own: test servers run side
    # by side, and never replace the file of a `make run` the developer has open.
    environment["LOCAL_SERVER_STATE"] = str(Path(tempfile.mkdtemp(prefix="local-server-")) / "state.json")
    if "AWS_ENDPOINT_URL_DYNAMODB" in os.environ:
        # The DynamoDB Local leg: the server uses the session's emulator, on a table of its own.
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
        environment["TABLE_NAME"] = f"customer-auth-e2e-{port}"
    environment.update(extra_env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.local_api"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = LocalServer(
        f"http://127.0.0.1:{port}",
        process,
        dynamodb=environment.get("AWS_ENDPOINT_URL_DYNAMODB"),
        table=environment.get("TABLE_NAME", "customer-auth-local"),
        state_file=Path(environment["LOCAL_SERVER_STATE"]),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local server exited: {process.stdout.read() if process.stdout else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if server.state_file is not None and server.state_file.exists():
                    return server  # listening, and it has told the operator tool where it is
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("local server did not start within 60 s")


def stop_server(server: LocalServer) -> str:
    server.process.terminate()
    try:
        output, _ = server.process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        output, _ = server.process.communicate()
    return output


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    server = start_server()
    yield server
    stop_server(server)


needs_kibo_sdk = pytest.mark.skipif(
    not (ROOT / "tests/sdk/node_modules").exists() or shutil.which("node") is None,
    reason="Kibo's SDK is installed by `make sdk-deps` (needs node and npm)",
)
"""For tests that drive the local server with Kibo's JavaScript SDK (tests/sdk)."""


def last_outbox_line(outbox: Path, user_id: str, timeout: float = 10) -> dict[str, Any]:
    """The last line a local outbox file holds for ``user_id`` (what the tenant's mailer would send),
    once there is one: the server appends to it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outbox.exists():
            lines = [json.loads(line) for line in outbox.read_text().splitlines() if line]
            mine = [line for line in lines if line["userId"] == user_id]
            if mine:
                last: dict[str, Any] = mine[-1]
                return last
        time.sleep(0.05)
    raise AssertionError(f"no code for {user_id} in {outbox}")


def registered(server: LocalServer, app: str, email: str, password: str) -> dict[str, Any]:
    """The ticket of a new shopper made with Add-Account-And-Login (email and user name ``email``)."""
    body = {"account": {"emailAddress": email, "userName": email}, "password": password}
    reply = server.call("POST", "/api/commerce/customer/accounts/Add-Account-And-Login", body, token=app)
    assert reply.status == 200, reply.body
    ticket: dict[str, Any] = reply.body
    return ticket


def run_sdk_script(server: LocalServer, script: str, **env: str) -> dict[str, Any]:
    """Run ``tests/sdk/<script>`` with node against ``server`` and return the JSON it prints."""
    run = subprocess.run(  # noqa: S603
        [str(shutil.which("node")), script],
        cwd=ROOT / "tests/sdk",
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": os.environ["PATH"],
            "API": server.base,
            "CLIENT_ID": server.client_id,
            "CLIENT_SECRET": server.client_secret,
            "TENANT": str(server.tenant_id),
            "SITE": str(server.site_id),
            **env,
        },
    )
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result
