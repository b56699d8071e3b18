"""What the handlers write to stdout (CloudWatch): JSON lines with the correlation id, never a secret.

docs/contract.md §3 and §8: never a token, a password or a hash in a log line; never the raw event (its
headers carry the app token and Kibo puts refresh tokens in query strings).
"""

import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from customer_auth.api.observability import logger
from tests.support.fixtures import HttpResult, World

PASSWORD = "a very secret passphrase 42"
EMAIL = "logged@example.com"
OAUTH = "/api/platform/applications/authtickets/oauth"
RAW_EVENT_MARKERS = ("requestContext", "rawQueryString", "isBase64Encoded", "routeKey", "authorization")


@dataclass
class Step:
    name: str
    correlation_id: str
    result: HttpResult
    lines: list[dict[str, Any]]


@dataclass
class Flow:
    """Every request of a full flow, what each wrote to stdout and the secrets that went by."""

    steps: list[Step] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    output: str = ""

    @property
    def log_records(self) -> list[tuple[Step, dict[str, Any]]]:
        return [(step, line) for step in self.steps for line in step.lines if "level" in line]


class CurrentStdout:
    """Whatever ``sys.stdout`` is when a line is written (capsys swaps it in only for the test call)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def stdout(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    """capsys, seeing the service's log lines as well as its metrics.

    The Logger binds its stream (the then ``sys.stdout``) when observability.py is imported, before
    any test's capture begins; it writes to the current stdout for the test and is put back after.
    """
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(CurrentStdout())
    yield capsys
    handler.setStream(previous)


@pytest.fixture
def debug_level() -> Iterator[None]:
    previous = logger.log_level
    logger.setLevel("DEBUG")
    yield
    logger.setLevel(previous)


def parse_lines(output: str) -> list[dict[str, Any]]:
    lines = []
    for text in output.splitlines():
        if not text.strip():
            continue
        parsed = json.loads(text)  # every line the handlers print is one JSON document
        assert isinstance(parsed, dict), text
        lines.append(parsed)
    return lines


def run_flow(world: World, capture: pytest.CaptureFixture[str]) -> Flow:
    """App token -> add account -> Create-Login -> get account, with the failures that log."""
    flow = Flow()
    full = world.clients["full"]
    flow.secrets["client secret"] = full.secret
    flow.secrets["wrong client secret"] = "wrong-" + full.secret
    flow.secrets["password"] = PASSWORD

    def step(name: str, method: str, path: str, body: Any = None, **kwargs: Any) -> HttpResult:
        correlation_id = f"flow-{name}-0123456789"
        headers = {"x-vol-correlation": correlation_id, **kwargs.pop("headers", {})}
        result = world.api.call(method, path, body, headers=headers, **kwargs)
        captured = capture.readouterr()
        flow.output += captured.out + captured.err
        flow.steps.append(Step(name, correlation_id, result, parse_lines(captured.out)))
        assert result.headers["x-vol-correlation"] == correlation_id
        return result

    credentials = {
        "client_id": full.client_id,
        "client_secret": full.secret,
        "grant_type": "client_credentials",
    }
    refused = step("wrong-secret", "POST", OAUTH, {**credentials, "client_secret": "wrong-" + full.secret})
    assert refused.status == 401
    issued = step("app-token", "POST", OAUTH, credentials)
    assert issued.status == 200, issued.text
    flow.secrets["app access_token"] = issued.json["access_token"]
    flow.secrets["app refresh_token"] = issued.json["refresh_token"]
    renewed = step(
        "app-refresh",
        "POST",
        OAUTH,
        {**credentials, "grant_type": "refresh_token", "refresh_token": issued.json["refresh_token"]},
    )
    assert renewed.status == 200, renewed.text
    token = renewed.json["access_token"]
    flow.secrets["renewed app access_token"] = token
    flow.secrets["renewed app refresh_token"] = renewed.json["refresh_token"]

    added = step(
        "add-account",
        "POST",
        "/api/commerce/customer/accounts",
        {"emailAddress": EMAIL, "firstName": "Log", "lastName": "Reader"},
        token=token,
    )
    assert added.status == 200, added.text
    account_id = added.json["id"]
    login_path = f"/api/commerce/customer/accounts/{account_id}/Create-Login"
    weak = step("weak-password", "POST", login_path, {"emailAddress": EMAIL, "password": EMAIL}, token=token)
    assert weak.status == 400
    created = step(
        "create-login", "POST", login_path, {"emailAddress": EMAIL, "password": PASSWORD}, token=token
    )
    assert created.status == 200, created.text
    for name in ("accessToken", "refreshToken", "jwtAccessToken"):
        flow.secrets[name] = created.json[name]
    again = step("conflict", "POST", login_path, {"emailAddress": EMAIL, "password": PASSWORD}, token=token)
    assert again.status == 409
    read = step("get-account", "GET", f"/api/commerce/customer/accounts/{account_id}", token=token)
    assert read.status == 200, read.text
    forged = step(
        "bad-token",
        "GET",
        f"/api/commerce/customer/accounts/{account_id}",
        token=created.json["jwtAccessToken"],
    )
    assert forged.status == 401
    login_hash = next(i for i in world.scan() if i.get("kind", {}).get("S") == "login")["passwordHash"]["S"]
    flow.secrets["password hash"] = login_hash
    return flow


def assert_nothing_secret_is_logged(flow: Flow) -> None:
    assert flow.log_records, "the flow logged nothing: the assertions below would prove nothing"
    for name, secret in flow.secrets.items():
        assert secret not in flow.output, f"the {name} appears in the log output"
    for half in (s[: len(s) // 2] for s in flow.secrets.values() if len(s) >= 32):
        assert half not in flow.output, "a token prefix appears in the log output"
    assert "$argon2id$" not in flow.output


def assert_lines_are_json_with_correlation_ids(flow: Flow) -> None:
    for step, line in flow.log_records:
        assert line["correlation_id"] == step.correlation_id, (step.name, line)
        assert line["service"] == "customer-auth"
    for step in flow.steps:
        for line in step.lines:
            assert "level" in line or "_aws" in line, (step.name, line)


def assert_raw_event_is_not_logged(flow: Flow) -> None:
    for marker in RAW_EVENT_MARKERS:
        assert marker not in flow.output, marker
    for step in flow.steps:
        for line in step.lines:
            assert "event" not in line, (step.name, line)


# -- at the deployed level (INFO) ------------------------------------------------------------------
def test_a_full_flow_logs_no_secret(world: World, stdout: pytest.CaptureFixture[str]) -> None:
    flow = run_flow(world, stdout)

    assert_nothing_secret_is_logged(flow)


def test_every_log_line_is_json_with_the_requests_correlation_id(
    world: World, stdout: pytest.CaptureFixture[str]
) -> None:
    flow = run_flow(world, stdout)

    assert_lines_are_json_with_correlation_ids(flow)
    logged_steps = {step.name for step, _ in flow.log_records}
    assert {"wrong-secret", "weak-password", "conflict", "bad-token"} <= logged_steps


def test_the_raw_event_is_never_logged(world: World, stdout: pytest.CaptureFixture[str]) -> None:
    flow = run_flow(world, stdout)

    assert_raw_event_is_not_logged(flow)


def test_refusals_are_logged_with_the_error_and_field_but_not_the_value(
    world: World, stdout: pytest.CaptureFixture[str]
) -> None:
    flow = run_flow(world, stdout)

    refusals = {step.name: line for step, line in flow.log_records if line["message"] == "request refused"}
    assert refusals["conflict"]["error"] == "Conflict"
    assert refusals["conflict"]["field"] == "accountId"
    assert refusals["weak-password"]["field"] == "password"
    assert refusals["wrong-secret"]["error"] == "InvalidCredentials"


def test_a_created_login_is_counted_in_a_metric(world: World, stdout: pytest.CaptureFixture[str]) -> None:
    flow = run_flow(world, stdout)

    metrics = [
        line for step in flow.steps if step.name == "create-login" for line in step.lines if "_aws" in line
    ]
    assert [m.get("LoginsCreated") for m in metrics] == [[1.0]]


# -- at DEBUG ----------------------------------------------------------------------------------------
@pytest.mark.usefixtures("debug_level")
def test_at_debug_level_a_full_flow_still_logs_no_secret(
    world: World, stdout: pytest.CaptureFixture[str]
) -> None:
    assert logger.log_level == 10

    flow = run_flow(world, stdout)

    assert_nothing_secret_is_logged(flow)
    assert_lines_are_json_with_correlation_ids(flow)
    assert_raw_event_is_not_logged(flow)


@pytest.mark.usefixtures("debug_level")
def test_at_debug_level_no_service_or_powertools_record_carries_a_secret(
    world: World, stdout: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger the service or powertools owns, at DEBUG (the AWS SDK's wire logs are not the
    service's: it never turns them on, and they show request parameters such as hashes by design)."""
    caplog.set_level(logging.DEBUG)

    flow = run_flow(world, stdout)

    records = [r for r in caplog.records if not r.name.startswith(("botocore", "boto3", "urllib3", "moto"))]
    assert {r.name for r in records} >= {"customer-auth"}
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in records)
    for name, secret in flow.secrets.items():
        assert secret not in text, f"the {name} appears in a log record"


def test_the_debug_fixture_restores_the_level(world: World) -> None:
    assert logger.log_level == 20


def test_an_unexpected_error_is_a_kibo_500_and_logs_no_stack_trace_or_message(
    world: World, stdout: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from customer_auth.domain.accounts.service import AccountService

    def broken(*_: object) -> None:
        raise RuntimeError("message quoting input: hunter2hunter2")

    monkeypatch.setattr(AccountService, "get", broken)
    token = world.app_token()
    stdout.readouterr()

    result = world.api.call("GET", "/api/commerce/customer/accounts/12345", token=token)

    assert result.status == 500
    assert result.json["errorCode"] == "INTERNAL_ERROR"
    output = stdout.readouterr().out
    assert "hunter2hunter2" not in output + result.text
    assert "Traceback" not in output
    errors = [line for line in parse_lines(output) if line.get("level") == "ERROR"]
    assert [(line["error"], line["where"].split(" in ")[-1]) for line in errors] == [
        ("RuntimeError", "broken")
    ]
