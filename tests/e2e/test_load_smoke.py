"""`make load` in miniature: the load tool against its own local server, 2 users for 3 s, and its
session check shown to catch a lost or duplicated session.

The tool runs in a subprocess: locust monkey-patches the standard library with gevent on import,
which must not happen inside pytest's process. ``tools.load.sessions`` does not import locust.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tools.load.sessions import Ledger, digest, verify

ROOT = Path(__file__).resolve().parents[2]
TENANT = 1000


def test_a_short_load_run_has_no_errors_and_every_session_accounted_for(tmp_path: Path) -> None:
    results_file = tmp_path / "load-results.json"
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "tools.load", "--users", "2", "--duration", "3", "--json", str(results_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "PASS" in run.stdout
    results = json.loads(results_file.read_text())
    assert results["passed"] is True
    assert results["total"]["requests"] > 0
    assert results["total"]["errors"] == 0
    assert results["failures"] == []
    assert results["exceptions"] == []
    assert results["serverErrors"] == []
    assert set(results["byRequest"]) <= {"sign in", "refresh", "get account", "current account"}
    assert results["byRequest"]["sign in"]["requests"] >= 2  # each user signs in first
    sessions = results["sessions"]
    assert all(sessions["checks"].values()), sessions
    assert sessions["sessionItems"] == sessions["signIns"] >= 4  # 2 provisioned + 2 sign-ins at least
    assert sessions["refreshTokenItems"] == sessions["refreshTokensHandedOut"]
    for kind in ("p50", "p95", "p99"):
        assert results["total"]["latencyMs"][kind] > 0


def _token(account: int, sid: str, n: int) -> str:
    return f"{TENANT}.{account}.{sid}.{str(n).rjust(43, 'x')}"


def _ticket(account: int, sid: str, n: int) -> dict[str, Any]:
    return {
        "refreshToken": _token(account, sid, n),
        "accessToken": _token(account, sid, n + 1000),
        "customerAccount": {"id": account},
    }


def _table(ledger: Ledger) -> list[dict[str, Any]]:
    """What the table holds when it matches the ledger exactly."""
    items: list[dict[str, Any]] = []
    for sid, trail in ledger.sessions.items():
        items.append(
            {
                "pk": f"ACCOUNT#{TENANT}#{trail.account_id}",
                "sk": f"SESSION#{sid}",
                "headDigest": digest(trail.head),
            }
        )
    items += [{"pk": f"REFRESH#{digest(t)}", "sk": "REFRESH"} for t in ledger.refresh_tokens]
    items += [{"pk": f"ACCESS#{digest(t)}", "sk": "ACCESS"} for t in ledger.access_tokens]
    items.append({"pk": f"ACCOUNT#{TENANT}#7", "sk": "LOGIN"})
    return items


def _first(items: list[dict[str, Any]], sk: str) -> dict[str, Any]:
    return next(i for i in items if i["sk"] == sk)


def _ledger() -> Ledger:
    ledger = Ledger()
    first = ledger.started(_ticket(7, "a" * 32, 1))
    ledger.rotated(first, _ticket(7, "a" * 32, 2))
    ledger.started(_ticket(7, "b" * 32, 3))
    return ledger


def test_the_session_check_passes_when_the_table_matches_what_shoppers_hold() -> None:
    ledger = _ledger()
    verdict = verify(ledger, _table(ledger), TENANT)
    assert verdict.ok, verdict.problems
    assert verdict.figures["sessionItems"] == verdict.figures["signIns"] == 2


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda items: [i for i in items if i["sk"] != "SESSION#" + "b" * 32], "lost session"),
        (
            lambda items: [*items, {"pk": f"ACCOUNT#{TENANT}#7", "sk": "SESSION#" + "c" * 32}],
            "duplicated session",
        ),
        (
            lambda items: [
                {**i, "headDigest": digest(_token(7, "a" * 32, 1))} if i["sk"] == "SESSION#" + "a" * 32 else i
                for i in items
            ],
            "not the shopper's newest token",
        ),
        (
            lambda items: [i for i in items if i["sk"] != "REFRESH" or i is not _first(items, "REFRESH")],
            "refresh tokens:",
        ),
        (lambda items: [*items, {"pk": "ACCESS#" + "0" * 64, "sk": "ACCESS"}], "access tokens:"),
    ],
)
def test_the_session_check_fails_on_a_lost_duplicated_or_stale_session(tamper: Any, expected: str) -> None:
    ledger = _ledger()
    verdict = verify(ledger, tamper(_table(ledger)), TENANT)
    assert not verdict.ok
    assert any(expected in problem for problem in verdict.problems), verdict.problems


def test_the_session_check_fails_when_a_token_or_session_is_handed_out_twice() -> None:
    ledger = _ledger()
    ledger.started(_ticket(7, "b" * 32, 3))  # the same sign-in answer twice
    verdict = verify(ledger, _table(ledger), TENANT)
    assert not verdict.ok
    assert any("handed out twice" in p for p in verdict.problems)
    assert any("which another sign-in already has" in p for p in verdict.problems)
