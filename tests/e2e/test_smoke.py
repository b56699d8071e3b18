"""`make smoke`, the post-deploy check, against `make run`'s server: Kibo's SDK through a whole
session, the JWT verified against the JWKS, and the account it made deleted afterwards (or, for a
client that may not delete accounts, locked)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from customer_auth.domain.kernel.behaviors import Behavior
from tests.e2e.conftest import LocalServer, needs_kibo_sdk

ROOT = Path(__file__).resolve().parents[2]


def _smoke(
    server: LocalServer, secret: str, client_id: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (make, with this test's own arguments)
        [  # noqa: S607
            "make",
            "--no-print-directory",
            "smoke",
            f"API={server.base}",
            f"CLIENT_ID={client_id or server.client_id}",
            f"CLIENT_SECRET={secret}",
            f"TENANT={server.tenant_id}",
            f"SITE={server.site_id}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@needs_kibo_sdk
def test_make_smoke_passes_against_make_run_and_deletes_the_account_it_made(
    local_server: LocalServer,
) -> None:
    run = _smoke(local_server, local_server.client_secret)

    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["ok"] is True
    steps = [step["name"] for step in report["steps"]]
    for operation in ("app token", "add account", "Create-Login", "sign in", "refresh", "log out"):
        assert any(name.startswith(operation) for name in steps), (operation, steps)
    assert "JWT verified against the JWKS" in steps
    assert "clean up: delete the account (deleteAccount)" in steps
    assert report["left"] == "nothing"
    assert report["iss"] == local_server.base
    assert local_server.client_secret not in run.stdout + run.stderr
    app = local_server.app_token()
    account = local_server.call("GET", f"/api/commerce/customer/accounts/{report['accountId']}", token=app)
    assert account.status == 404


@needs_kibo_sdk
def test_a_client_that_may_not_delete_accounts_leaves_only_a_locked_account(
    local_server: LocalServer,
) -> None:
    assert local_server.state_file is not None
    behaviors = [b.value for b in Behavior if b is not Behavior.ACCOUNT_DELETE]
    made = subprocess.run(  # noqa: S603 (this interpreter, the operator tool)
        [sys.executable, "-m", "tools.operator", "--local-server", str(local_server.state_file)]
        + ["client", "create", "--tenant-id", str(local_server.tenant_id), "--name", "smoke-no-delete"]
        + [argument for behavior in behaviors for argument in ("--behavior", behavior)],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    client = json.loads(made.stdout)

    run = _smoke(local_server, client["clientSecret"], client["clientId"])

    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["left"].endswith("locked, no session: the client lacks customer:account:delete")
    app = local_server.app_token()
    state = local_server.call(
        "GET", f"/api/commerce/customer/accounts/{report['accountId']}/loginstate", token=app
    )
    assert (state.status, state.body["isLocked"]) == (200, True)


@needs_kibo_sdk
def test_make_smoke_fails_plainly_when_the_stack_refuses_it(local_server: LocalServer) -> None:
    wrong = "wrong-secret-" + "x" * 40

    run = _smoke(local_server, wrong)

    assert run.returncode != 0
    assert "FAILED after no step: The client credentials are not valid." in run.stderr
    assert wrong not in run.stdout + run.stderr
