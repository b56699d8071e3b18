"""The operator tool against `make run`, as a user meets it: the command the banner prints, pasted
into a shell with no AWS credentials, no region and no uv; `make operator ARGS=...`; and operator
changes that outlive a restart of `make run DB=dynamodb-local`."""

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.e2e.conftest import LocalServer, start_server, stop_server
from tests.support.shell import bare_shell
from tools import dynamodb_local

ROOT = Path(__file__).resolve().parents[2]


class Banner:
    """The lines the server prints, read as they come."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._done = threading.Event()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("curl -s $API/.well-known/jwks.json"):
                self._done.set()

    def operator_lines(self) -> list[str]:
        """The operator commands the banner prints, verbatim."""
        assert self._done.wait(30), "\n".join(self.lines)
        return [line.strip() for line in self.lines if " -m tools.operator " in line]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[LocalServer, Banner]]:
    server = start_server()
    assert server.process.stdout is not None
    banner = Banner(server.process.stdout)
    yield server, banner
    stop_server(server)


def _paste(line: str, home: Path) -> subprocess.CompletedProcess[str]:
    """``line`` as a user pastes it into bash, from their home folder."""
    return subprocess.run(  # noqa: S603
        ["bash", "-c", line],  # noqa: S607
        cwd=home,
        env=bare_shell(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_printed_operator_commands_work_pasted_into_a_shell_without_aws_or_uv(
    served: tuple[LocalServer, Banner], tmp_path: Path
) -> None:
    server, banner = served
    show, switch_on = banner.operator_lines()
    assert show.endswith(f"tenant show --id {server.tenant_id}")
    assert switch_on.endswith(f"tenant set --id {server.tenant_id} --passwordless-sign-in")

    shown = _paste(show, tmp_path)
    assert shown.returncode == 0, shown.stderr
    before = json.loads(shown.stdout)
    assert before["sites"] == [{"id": server.site_id, "name": "Demo storefront"}]
    assert f"make run's server at {server.base}" in shown.stderr

    switched = _paste(switch_on, tmp_path)
    assert switched.returncode == 0, switched.stderr
    after = json.loads(switched.stdout)
    assert after["signInPolicy"]["passwordlessSignIn"] is True
    after["signInPolicy"]["passwordlessSignIn"] = False
    assert after == before  # one switch changed, every other field and the site as they were

    # and the service applies it: the passwordless code request is served now (404 while off)
    reply = server.call(
        "POST",
        "/api/commerce/customer/authtickets/otp/request",
        {"email": "nobody@example.com"},
        token=server.app_token(),
    )
    assert reply.status == 204, reply.body


def test_make_operator_works_in_a_shell_without_aws_or_uv(
    served: tuple[LocalServer, Banner], tmp_path: Path
) -> None:
    server, _ = served
    assert server.state_file is not None
    environment = {**bare_shell(tmp_path), "LOCAL_SERVER_STATE": str(server.state_file)}

    run = subprocess.run(  # noqa: S603
        ["make", "--no-print-directory", "operator", f"ARGS=tenant show --id {server.tenant_id}"],  # noqa: S607
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["tenantId"] == server.tenant_id  # stdout is the answer alone


def test_the_server_removes_its_state_file_when_it_stops(tmp_path: Path) -> None:
    server = start_server()
    assert server.state_file is not None
    state = json.loads(server.state_file.read_text())
    assert state["api"] == server.base
    assert state["pid"] == server.process.pid

    stop_server(server)

    assert not server.state_file.exists()
    command = f"{ROOT}/.venv/bin/python -m tools.operator --local-server {server.state_file}"
    shown = _paste(f"{command} tenant show --id 1", tmp_path)
    assert shown.returncode == 2
    assert "no make run server is running" in shown.stderr


needs_dynamodb_local = pytest.mark.skipif(
    dynamodb_local.missing() is not None, reason=f"DynamoDB Local: {dynamodb_local.missing()}"
)


def _operator(server: LocalServer, home: Path, *args: str) -> dict[str, Any]:
    assert server.state_file is not None
    run = subprocess.run(  # noqa: S603
        [
            str(ROOT / ".venv/bin/python"),
            "-m",
            "tools.operator",
            "--local-server",
            str(server.state_file),
            *args,
        ],
        cwd=home,
        env=bare_shell(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    shown: dict[str, Any] = json.loads(run.stdout)
    return shown


@needs_dynamodb_local
def test_a_restart_on_dynamodb_local_keeps_what_the_operator_changed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    environment = {"LOCAL_DB": "dynamodb-local", "LOCAL_DATA_DIR": str(data), "AWS_ENDPOINT_URL_DYNAMODB": ""}
    server = start_server(environment)
    try:
        tenant = str(server.tenant_id)
        _operator(server, tmp_path, "tenant", "set", "--id", tenant, "--two-factor", "fingerprint")
        _operator(server, tmp_path, "tenant", "set", "--id", tenant, "--passwordless-sign-in")
        changed = _operator(server, tmp_path, "tenant", "set", "--id", tenant, "--site", "2001:Outlet")
    finally:
        stop_server(server)

    server = start_server(environment, int(server.base.rsplit(":", 1)[1]))
    try:
        kept = _operator(server, tmp_path, "tenant", "show", "--id", tenant)
    finally:
        output = stop_server(server)

    assert kept == changed
    assert kept["twoFactorPolicy"]["onNewFingerprint"] is True
    assert kept["signInPolicy"]["passwordlessSignIn"] is True
    assert [site["id"] for site in kept["sites"]] == [server.site_id, 2001]
    assert "(kept from the last run)" in output
