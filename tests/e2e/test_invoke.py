"""`make invoke`: every file in events/ answers through its function's handler, as `sam local
invoke` would answer it, with no Docker: a fresh app token and real shopper values filled in."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EVENTS = sorted((ROOT / "events").glob("*.json"))
NO_CONTENT = {
    "change_password",
    "delete_account",
    "log_out",
    "set_login_locked",
    "set_password_change_required",
    "two_factor_request",
    "otp_request",
}
EMPTY_OK = {"reset_password", "update_forgotten_password", "delete_app_ticket"}
"""Kibo answers these 200 with no body."""


def _environment() -> dict[str, str]:
    dropped = ("AWS_", "TABLE_NAME", "SIGNING_KEYS", "TOKEN_", "PASSWORD_HASH", "CODE_")
    return {name: value for name, value in os.environ.items() if not name.startswith(dropped)}


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (this interpreter or make, this repository's tool)
        command, cwd=ROOT, env=_environment(), capture_output=True, text=True, timeout=300, check=False
    )


def _function_of(event_file: Path) -> str:
    return "".join(part.title() for part in event_file.stem.split("_")) + "Function"


def test_every_event_file_answers_through_its_function() -> None:
    run = _run(sys.executable, "-m", "tools.local_api.invoke", "--event", *map(str, EVENTS))

    assert run.returncode == 0, run.stderr[-3000:]
    answers: list[dict[str, Any]] = json.loads(run.stdout)  # stdout is the responses; logs on stderr
    assert [answer["event"] for answer in answers] == list(map(str, EVENTS))
    for event_file, answer in zip(EVENTS, answers, strict=True):
        assert answer["function"] == _function_of(event_file)
        response = answer["response"]
        expected = 404 if event_file.stem == "not_found" else 204 if event_file.stem in NO_CONTENT else 200
        assert response["statusCode"] == expected, (event_file.name, response.get("body"))
        if event_file.stem in EMPTY_OK:
            assert not response.get("body"), event_file.name
        elif expected != 204:
            assert json.loads(response["body"]), event_file.name
        sent = json.loads(event_file.read_text())["headers"].get("x-vol-correlation")
        if sent:
            assert response["headers"]["x-vol-correlation"] == sent


def test_make_invoke_runs_one_function_and_refuses_an_event_of_another() -> None:
    make = ("make", "--no-print-directory", "invoke", "EVENT=events/sign_in.json")
    ok = _run(*make, "FUNCTION=SignInFunction")
    assert ok.returncode == 0, ok.stderr[-3000:]
    # stdout is the answer alone (make invoke ... | jq): make's and uv's own lines go to stderr.
    ticket = json.loads(json.loads(ok.stdout)["response"]["body"])
    assert ticket["accessToken"]
    assert ticket["customerAccount"]["userName"] == "ada"

    wrong = _run(*make, "FUNCTION=RefreshFunction")
    assert wrong.returncode != 0
    assert "is an event of SignInFunction, not RefreshFunction" in wrong.stderr


def test_make_invoke_names_a_missing_event_file_in_one_line() -> None:
    run = _run("make", "--no-print-directory", "invoke", "EVENT=events/sign_on.json")

    assert run.returncode != 0
    assert run.stdout == ""
    assert "make invoke: there is no events/sign_on.json (the samples are in events/)" in run.stderr
    assert "Traceback" not in run.stderr
