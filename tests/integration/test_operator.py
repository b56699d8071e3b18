"""The operator tool provisions tenants and clients that the service then accepts."""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from customer_auth.api import runtime
from tests.support.fixtures import Api, shared_router
from tools import operator

OAUTH = "/api/platform/applications/authtickets/oauth"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = operator.main(["--table", os.environ["TABLE_NAME"], *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_tenant_and_client_created_by_the_tool_can_get_an_app_token_and_create_accounts(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(
        capsys,
        "tenant",
        "put",
        "--id",
        "7",
        "--name",
        "Tooling",
        "--site",
        "70:Shop",
        "--access-default-minutes",
        "15",
        "--access-max-minutes",
        "60",
    )
    assert code == 0
    code, out, err = run(
        capsys,
        "client",
        "create",
        "--tenant-id",
        "7",
        "--name",
        "shop",
        "--behavior",
        "customer:account:create",
    )
    assert code == 0
    created = json.loads(out)
    assert "only now" in err
    api = Api(shared_router(), {"x-vol-tenant": "7"})

    token = api.call(
        "POST",
        OAUTH,
        {
            "client_id": created["clientId"],
            "client_secret": created["clientSecret"],
            "grant_type": "client_credentials",
        },
    )
    assert token.status == 200
    account = api.call(
        "POST", "/api/commerce/customer/accounts", {"firstName": "Tool"}, token=token.json["access_token"]
    )
    assert account.status == 200
    stored = json.dumps(aws["dynamodb"].scan(TableName=os.environ["TABLE_NAME"])["Items"])
    assert created["clientSecret"] not in stored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["client", "create", "--tenant-id", "404", "--name", "x", "--all-behaviors"], "does not exist"),
        (
            [
                "tenant",
                "put",
                "--id",
                "8",
                "--name",
                "Bad",
                "--access-default-minutes",
                "90",
                "--access-max-minutes",
                "60",
            ],
            "token policy",
        ),
        (["tenant", "put", "--id", "8", "--name", "Bad", "--access-max-minutes", "99999"], "platform cap"),
    ],
    ids=["unknown-tenant", "default-above-maximum", "maximum-above-platform-cap"],
)
def test_the_tool_refuses_bad_provisioning_with_a_message_and_writes_nothing(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert aws["dynamodb"].scan(TableName=os.environ["TABLE_NAME"])["Items"] == []


def test_the_seed_file_of_make_run_provisions_its_tenant_and_client(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "seed", str(Path(__file__).parents[2] / "tools/local_api/seed.json"))
    assert code == 0
    [client] = json.loads(out)
    api = Api(shared_router(), {"x-vol-tenant": str(client["tenantId"])})
    token = api.call(
        "POST",
        OAUTH,
        {
            "client_id": client["clientId"],
            "client_secret": client["secret"],
            "grant_type": "client_credentials",
        },
    )
    assert token.status == 200


def test_the_tool_sets_a_tenants_sign_in_policy_which_the_service_then_applies(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "tenant",
        "put",
        "--id",
        "9",
        "--name",
        "Strict",
        "--max-failed-attempts",
        "3",
        "--lockout-minutes",
        "5",
        "--refresh-grace-seconds",
        "0",
        "--require-letter-and-digit",
    )
    assert code == 0
    assert json.loads(out)["signInPolicy"] == {
        "max_failed_attempts": 3,
        "lockout_minutes": 5,
        "max_lockout_minutes": 1440,
        "refresh_grace_seconds": 0,
        "require_letter_and_digit": True,
    }
    stored = runtime.store().get_tenant(9)
    assert stored is not None
    assert stored.sign_in_policy.max_failed_attempts == 3
    assert stored.sign_in_policy.require_letter_and_digit


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--max-failed-attempts", "0"), ("--refresh-grace-seconds", "61"), ("--lockout-minutes", "99999")],
)
def test_the_tool_refuses_a_sign_in_policy_out_of_bounds_and_writes_nothing(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    code, _, err = run(capsys, "tenant", "put", "--id", "9", "--name", "Bad", flag, value)
    assert code == 2
    assert "error:" in err
    assert aws["dynamodb"].scan(TableName=os.environ["TABLE_NAME"])["Items"] == []
