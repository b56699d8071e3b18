"""`make smoke`, the post-deploy check, against `make run`'s server: Kibo's SDK through a whole
session, the JWT verified against the JWKS, and nothing left that can sign in."""

import json
import subprocess
from pathlib import Path

from tests.e2e.conftest import LocalServer, needs_kibo_sdk

ROOT = Path(__file__).resolve().parents[2]


def _smoke(server: LocalServer, secret: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (make, with this test's own arguments)
        [  # noqa: S607
            "make",
            "--no-print-directory",
            "smoke",
            f"API={server.base}",
            f"CLIENT_ID={server.client_id}",
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
def test_make_smoke_passes_against_make_run_and_leaves_nothing_that_can_sign_in(
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
    assert report["iss"] == local_server.base
    assert local_server.client_secret not in run.stdout + run.stderr
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
