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
        "set",
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
                "set",
                "--id",
                "8",
                "--name",
                "Bad",
                "--site",
                "80:Shop",
                "--access-default-minutes",
                "90",
                "--access-max-minutes",
                "60",
            ],
            "token policy",
        ),
        (
            [
                "tenant",
                "set",
                "--id",
                "8",
                "--name",
                "Bad",
                "--site",
                "80:Shop",
                "--access-max-minutes",
                "99999",
            ],
            "platform cap",
        ),
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
        "set",
        "--id",
        "9",
        "--name",
        "Strict",
        "--site",
        "90:Shop",
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
        "newDeviceNotice": False,
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
    code, out, _ = run(capsys, "tenant", "set", "--id", "9", "--name", "Default", "--site", "90:Shop")
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
    code, _, err = run(
        capsys, "tenant", "set", "--id", "9", "--name", "Bad", "--site", "90:Shop", flag, value
    )
    assert code == 2
    assert "error:" in err
    assert aws["dynamodb"].scan(TableName=os.environ["TABLE_NAME"])["Items"] == []


# -- two-factor policy ------------------------------------------------------------------------------


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
        capsys,
        "tenant",
        "set",
        "--id",
        "10",
        "--name",
        "Careful",
        "--site",
        "100:Shop",
        "--two-factor",
        "fingerprint,region",
    )
    assert code == 0
    both = {"always": False, "onNewFingerprint": True, "onNewRegion": True}
    assert json.loads(out)["twoFactorPolicy"] == both
    assert _two_factor_of(10) == both
    code, out, _ = run(capsys, "tenant", "show", "--id", "10")
    assert code == 0
    assert json.loads(out)["twoFactorPolicy"] == both

    code, out, _ = run(capsys, "tenant", "set", "--id", "10", "--two-factor", "off")
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
    code, _, _ = run(
        capsys,
        "tenant",
        "set",
        "--id",
        "11",
        "--name",
        "Careful",
        "--site",
        "110:Shop",
        "--two-factor",
        value,
    )
    assert code == 0
    assert _two_factor_of(11) == policy


def test_a_tenant_put_without_two_factor_leaves_it_off(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, _ = run(capsys, "tenant", "set", "--id", "12", "--name", "Plain", "--site", "120:Shop")
    assert code == 0
    assert _two_factor_of(12) == {"always": False, "onNewFingerprint": False, "onNewRegion": False}


@pytest.mark.parametrize("value", ["always,region", "always,fingerprint", "bogus", "fingerprint,bogus", ""])
def test_the_tool_refuses_an_unknown_or_contradictory_two_factor_choice_and_writes_nothing(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str], value: str
) -> None:
    with pytest.raises(SystemExit) as refused:
        run(
            capsys,
            "tenant",
            "set",
            "--id",
            "13",
            "--name",
            "Bad",
            "--site",
            "130:Shop",
            "--two-factor",
            value,
        )
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


# -- tenant set: partial by default, --replace for the whole tenant, never without a site ------------


def _stored(tenant_id: int) -> dict[str, Any]:
    stored = runtime.store().get_tenant(tenant_id)
    assert stored is not None
    return operator.tenant_json(stored)


def _careful_tenant(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """Tenant 20 with two sites, 2FA on a new fingerprint, a strict lockout and short tokens."""
    code, out, err = run(
        capsys,
        *("tenant", "set", "--id", "20", "--name", "Careful", "--domain", "shop.example"),
        *("--site", "2000:Storefront", "--site", "2001:Outlet:outlet.example"),
        *("--two-factor", "fingerprint", "--max-failed-attempts", "3", "--password-reset-minutes", "30"),
        *("--access-default-minutes", "15", "--access-max-minutes", "60"),
    )
    assert code == 0, err
    created: dict[str, Any] = json.loads(out)
    assert created == _stored(20)
    return created


def test_tenant_set_with_one_switch_changes_that_switch_and_leaves_every_other_field_and_site(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _careful_tenant(capsys)

    code, out, _ = run(capsys, "tenant", "set", "--id", "20", "--passwordless-sign-in")

    assert code == 0
    after = _stored(20)
    assert json.loads(out) == after
    assert after["signInPolicy"]["passwordlessSignIn"] is True
    after["signInPolicy"]["passwordlessSignIn"] = False
    assert after == before  # 2FA, lockout, reset codes, token policy, name, domain and both sites


def test_tenant_set_adds_renames_and_removes_sites_one_at_a_time(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _careful_tenant(capsys)

    code, _, _ = run(capsys, "tenant", "set", "--id", "20", "--site", "2002:Kiosk", "--site", "2000:Main")
    assert code == 0
    code, _, _ = run(capsys, "tenant", "set", "--id", "20", "--remove-site", "2001")
    assert code == 0

    after = _stored(20)
    assert after["sites"] == [{"id": 2000, "name": "Main"}, {"id": 2002, "name": "Kiosk"}]
    assert {**after, "sites": before["sites"]} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--remove-site", "2000", "--remove-site", "2001"], "needs at least one site"),
        (["--remove-site", "2999"], "has no site 2999"),
        (["--site", "2000:Again", "--remove-site", "2000"], "both set and removed"),
        (["--replace", "--name", "Careful"], "needs at least one site"),
        (["--max-failed-attempts", "0"], "maxFailedAttempts"),
    ],
    ids=[
        "the-last-site",
        "a-site-it-does-not-have",
        "set-and-removed",
        "replace-without-a-site",
        "bad-policy",
    ],
)
def test_tenant_set_refuses_a_change_that_would_break_the_tenant_and_changes_nothing(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = _careful_tenant(capsys)

    code, _, err = run(capsys, "tenant", "set", "--id", "20", *args)

    assert code == 2
    assert message in err
    assert _stored(20) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--site", "30:Shop"], "give it a name"), (["--name", "New"], "needs at least one site")],
    ids=["no-name", "no-site"],
)
def test_a_new_tenant_needs_a_name_and_a_site(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run(capsys, "tenant", "set", "--id", "30", *args)

    assert code == 2
    assert message in err
    assert aws["dynamodb"].scan(TableName=os.environ["TABLE_NAME"])["Items"] == []


def test_tenant_set_replace_stores_only_what_it_is_given(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _careful_tenant(capsys)

    code, _, _ = run(
        capsys, "tenant", "set", "--id", "20", "--replace", "--name", "Plain", "--site", "2005:Only"
    )

    assert code == 0
    after = _stored(20)
    assert (after["name"], after["domain"], after["sites"]) == ("Plain", None, [{"id": 2005, "name": "Only"}])
    assert after["twoFactorPolicy"] == {"always": False, "onNewFingerprint": False, "onNewRegion": False}
    assert after["signInPolicy"]["maxFailedAttempts"] == 5
    assert after["tokenPolicy"]["accessDefaultMinutes"] == 60


def test_the_old_tenant_put_is_tenant_set_and_changes_only_what_it_is_given(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    before = _careful_tenant(capsys)

    code, _, _ = run(capsys, "tenant", "put", "--id", "20", "--name", "Careful", "--passwordless-sign-in")

    assert code == 0
    after = _stored(20)
    assert after["twoFactorPolicy"] == before["twoFactorPolicy"]
    assert after["sites"] == before["sites"]


def test_the_seed_creates_what_is_missing_and_never_overwrites_what_the_operator_changed(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    seed_file = str(Path(__file__).parents[2] / "tools/local_api/seed.json")
    code, out, _ = run(capsys, "seed", seed_file)
    assert code == 0
    [client] = json.loads(out)
    assert client["created"] is True
    tenant_id = client["tenantId"]
    code, _, _ = run(
        capsys, "tenant", "set", "--id", str(tenant_id), "--two-factor", "always", "--site", "2009:Second"
    )
    assert code == 0
    changed = _stored(tenant_id)

    code, out, _ = run(capsys, "seed", seed_file)

    assert code == 0
    assert json.loads(out)[0]["created"] is False
    assert _stored(tenant_id) == changed
    api = Api(shared_router(), {"x-vol-tenant": str(tenant_id)})
    credentials = {"client_id": client["clientId"], "client_secret": client["secret"]}
    token = api.call("POST", OAUTH, {**credentials, "grant_type": "client_credentials"})
    assert token.status == 200


# -- where the tool works: make run's server, or AWS as boto3 is configured ---------------------------


def _no_aws_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role to look for


def test_on_aws_the_tool_honours_aws_region(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)  # set in the DynamoDB Local leg
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")

    store, where = operator.connect("customer-auth-prod", tmp_path / "no-server.json")

    assert where == "AWS eu-west-1, table customer-auth-prod"
    assert store._db.meta.region_name == "eu-west-1"


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "operator: no AWS region: set AWS_REGION (or a region in your AWS profile)\n"),
        (
            {"AWS_REGION": "eu-west-1"},
            "operator: no AWS credentials: set AWS_PROFILE (after aws configure or aws sso login), "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n",
        ),
    ],
    ids=["no-region", "no-credentials"],
)
def test_without_a_server_or_aws_configuration_the_tool_says_what_is_missing_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    environment: dict[str, str],
    message: str,
) -> None:
    _no_aws_configuration(monkeypatch, tmp_path)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    code = operator.main(
        ["--local-server", str(tmp_path / "none.json"), "--table", "t", "tenant", "show", "--id", "1"]
    )

    assert (code, capsys.readouterr().err) == (2, message)


def test_without_a_server_and_without_a_table_the_tool_asks_for_the_stacks_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TABLE_NAME")
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)  # set in the DynamoDB Local leg

    code = operator.main(["--local-server", str(tmp_path / "none.json"), "tenant", "show", "--id", "1"])

    assert code == 2
    assert capsys.readouterr().err == (
        f"operator: no make run server is running (none in {tmp_path / 'none.json'}); on AWS, "
        "name the table: --table <the stack's TableName output>\n"
    )
