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
        "--password-reset-minutes",
        "30",
        "--passwordless-sign-in",
    )
    assert code == 0
    assert json.loads(out)["signInPolicy"] == {
        "maxFailedAttempts": 3,
        "lockoutMinutes": 5,
        "maxLockoutMinutes": 15,
        "refreshGraceSeconds": 0,
        "requireLetterAndDigit": True,
        "passwordResetMinutes": 30,
        "passwordlessSignIn": True,
    }
    stored = runtime.store().get_tenant(9)
    assert stored is not None
    assert stored.sign_in_policy.max_failed_attempts == 3
    assert stored.sign_in_policy.require_letter_and_digit
    assert stored.sign_in_policy.password_reset_minutes == 30
    assert stored.sign_in_policy.passwordless_sign_in


def test_passwordless_sign_in_is_off_unless_the_operator_or_the_seed_file_turns_it_on(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "tenant", "put", "--id", "9", "--name", "Default")
    assert code == 0
    assert json.loads(out)["signInPolicy"]["passwordlessSignIn"] is False

    seeded = operator.tenant_from_spec({"id": 9, "name": "Seeded", "passwordlessSignIn": True})
    assert seeded.sign_in_policy.passwordless_sign_in
    assert not operator.tenant_from_spec({"id": 9, "name": "Seeded"}).sign_in_policy.passwordless_sign_in


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


# -- two-factor policy (issue 4) ---------------------------------------------------------------------


def _two_factor_of(tenant_id: int) -> dict[str, bool]:
    stored = runtime.store().get_tenant(tenant_id)
    assert stored is not None
    policy = stored.two_factor_policy
    return {
        "always": policy.always,
        "onNewFingerprint": policy.on_new_fingerprint,
        "onNewRegion": policy.on_new_region,
    }


def test_the_tool_sets_a_tenants_two_factor_policy_and_turns_it_off_again(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "tenant", "put", "--id", "10", "--name", "Careful", "--two-factor", "fingerprint,region"
    )
    assert code == 0
    both = {"always": False, "onNewFingerprint": True, "onNewRegion": True}
    assert json.loads(out)["twoFactorPolicy"] == both
    assert _two_factor_of(10) == both
    code, out, _ = run(capsys, "tenant", "show", "--id", "10")
    assert code == 0
    assert "on_new_fingerprint=True" in out
    assert "on_new_region=True" in out

    code, out, _ = run(capsys, "tenant", "put", "--id", "10", "--name", "Careful", "--two-factor", "off")
    assert code == 0
    off = {"always": False, "onNewFingerprint": False, "onNewRegion": False}
    assert json.loads(out)["twoFactorPolicy"] == off
    assert _two_factor_of(10) == off


@pytest.mark.parametrize(
    ("value", "policy"),
    [
        ("always", {"always": True, "onNewFingerprint": False, "onNewRegion": False}),
        ("region", {"always": False, "onNewFingerprint": False, "onNewRegion": True}),
        ("region,fingerprint", {"always": False, "onNewFingerprint": True, "onNewRegion": True}),
    ],
)
def test_each_two_factor_choice_is_stored(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str], value: str, policy: dict[str, bool]
) -> None:
    code, _, _ = run(capsys, "tenant", "put", "--id", "11", "--name", "Careful", "--two-factor", value)
    assert code == 0
    assert _two_factor_of(11) == policy


def test_a_tenant_put_without_two_factor_leaves_it_off(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "tenant", "put", "--id", "12", "--name", "Plain")
    assert code == 0
    assert _two_factor_of(12) == {"always": False, "onNewFingerprint": False, "onNewRegion": False}


@pytest.mark.parametrize("value", ["always,region", "always,fingerprint", "bogus", "fingerprint,bogus", ""])
def test_the_tool_refuses_an_unknown_or_contradictory_two_factor_choice_and_writes_nothing(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as refused:
        run(capsys, "tenant", "put", "--id", "13", "--name", "Bad", "--two-factor", value)
    assert refused.value.code == 2
    assert "--two-factor" in capsys.readouterr().err
    assert aws["dynamodb"].scan(TableName=os.environ["TABLE_NAME"])["Items"] == []


def test_a_seed_files_two_factor_policy_is_stored_and_the_service_applies_it(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    document = json.loads((Path(__file__).parents[2] / "tools/local_api/seed.json").read_text())
    document["tenant"]["twoFactorPolicy"] = {"onNewRegion": True}
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(document))

    code, out, _ = run(capsys, "seed", str(seed_file))
    assert code == 0
    [client] = json.loads(out)
    assert _two_factor_of(client["tenantId"]) == {
        "always": False,
        "onNewFingerprint": False,
        "onNewRegion": True,
    }

    site = document["tenant"]["sites"][0]["id"]
    api = Api(shared_router(), {"x-vol-tenant": str(client["tenantId"]), "x-vol-site": str(site)})
    token = api.call(
        "POST",
        OAUTH,
        {
            "client_id": client["clientId"],
            "client_secret": client["secret"],
            "grant_type": "client_credentials",
        },
    ).json["access_token"]
    email, password = "seeded@example.com", "a long seeded passphrase"
    created = api.call(
        "POST",
        "/api/commerce/customer/accounts/Add-Account-And-Login",
        {"account": {"emailAddress": email}, "password": password, "fingerprint": "fp-1", "region": "US"},
        token=token,
    )
    assert created.status == 200
    assert created.json["requires2FA"] is False

    def sign_in(region: str) -> dict[str, Any]:
        reply = api.call(
            "POST",
            "/api/commerce/customer/authtickets",
            {"username": email, "password": password, "fingerprint": "fp-2", "region": region},
            token=token,
        )
        assert reply.status == 200
        body: dict[str, Any] = reply.json
        return body

    assert sign_in("us")["requires2FA"] is False
    assert sign_in("DE")["requires2FA"] is True
