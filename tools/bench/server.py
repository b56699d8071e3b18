"""``make run``'s server for the bench's HTTP figures: its own process on free ports, Argon2id at the
production parameters, the seed tenant and client, as ``make run`` starts it (and as
``tools.load`` and the e2e suite do)."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib import error, request

import boto3

from ..sam_template import ROOT

SEED = json.loads((ROOT / "tools" / "local_api" / "seed.json").read_text())
TABLE = "customer-auth-local"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LocalServer:
    """The local server, started on construction; ``stop()`` ends it."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.aws_port = _free_port(), _free_port()
        environ = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AWS_", "TABLE_NAME", "SIGNING_KEYS", "TOKEN_", "PASSWORD_HASH", "CODE_"))
        }
        environ.update(
            {
                "PORT": str(self.port),
                "EMBEDDED_AWS_PORT": str(self.aws_port),
                "CODE_OUTBOX_FILE": str(workdir / "outbox.jsonl"),
            }
        )
        self._log_path = workdir / "server.log"
        self.log = self._log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tools.local_api"],
            cwd=ROOT,
            env=environ,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the local server exited: {self._log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the local server did not start within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def dynamodb(self) -> Any:
        """A client of the server's embedded DynamoDB (moto accepts any credentials)."""
        return boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{self.aws_port}",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106
        )

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        *,
        tenant: int = SEED["tenant"]["id"],
        site: int = SEED["tenant"]["sites"][0]["id"],
    ) -> tuple[int, Any]:
        """One request as a client sends it; any status is returned, not raised."""
        headers = {"content-type": "application/json", "x-vol-tenant": str(tenant), "x-vol-site": str(site)}
        if token:
            headers["authorization"] = f"Bearer {token}"
        sent = request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers=headers,
        )
        try:
            with request.urlopen(sent, timeout=60) as response:  # noqa: S310 (loopback only)
                return int(response.status), json.loads(response.read() or b"null")
        except error.HTTPError as failure:
            return int(failure.code), json.loads(failure.read() or b"null")

    def app_token(self, client_id: str, secret: str, *, tenant: int = SEED["tenant"]["id"]) -> str:
        status, body = self.call(
            "POST",
            "/api/platform/applications/authtickets/oauth",
            {"client_id": client_id, "client_secret": secret, "grant_type": "client_credentials"},
            tenant=tenant,
        )
        assert status == 200, body
        token: str = body["access_token"]
        return token
