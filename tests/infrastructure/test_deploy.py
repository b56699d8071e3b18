"""`make deploy`: it stops at once, in one line, without AWS credentials; it asks once for what the
stack needs (the region, the mailer's sender) and keeps the answers in samconfig.toml."""

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.support.shell import bare_shell
from tools import deploy, sam_template

ROOT = Path(__file__).resolve().parents[2]
NO_CREDENTIALS = (
    "no AWS credentials: set AWS_PROFILE (after aws configure or aws sso login), "
    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)


@pytest.mark.parametrize("goal", ["deploy", "destroy"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_without_credentials_make_stops_at_once_with_one_line_naming_what_is_missing(
    tmp_path: Path, goal: str, env: str
) -> None:
    samconfig = (ROOT / "samconfig.toml").read_text()

    run = subprocess.run(  # noqa: S603 (make, this repository's Makefile)
        ["make", goal, f"ENV={env}"],  # noqa: S607
        cwd=ROOT,
        env=bare_shell(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 2
    assert run.stdout == ""
    [line] = run.stderr.splitlines()
    assert f"make {goal}: {NO_CREDENTIALS}" in line
    assert (ROOT / "samconfig.toml").read_text() == samconfig  # nothing asked, nothing written


def test_the_check_passes_with_credentials_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example")

    deploy.check("dev")


@pytest.fixture
def samconfig(tmp_path: Path) -> Path:
    copy = tmp_path / "samconfig.toml"
    shutil.copy(ROOT / "samconfig.toml", copy)
    return copy


MAILER_TEMPLATE: dict[str, Any] = {
    "Parameters": {
        **sam_template.template()["Parameters"],
        "MailSender": {"Type": "String", "Default": ""},
    }
}
"""The template with the mailer's sender parameter (the mail branch adds it to template.yaml)."""


def test_the_first_deploy_asks_once_for_the_region_and_the_sender_and_keeps_them(
    samconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    answers = iter(["eu-west-1", "not an address", "codes@shop.example"])
    questions: list[str] = []

    def ask(question: str) -> str:
        questions.append(question)
        return next(answers)

    written = deploy.configure("prod", {}, config=samconfig, template=MAILER_TEMPLATE, ask=ask)

    assert written == ["region = eu-west-1", "MailSender = codes@shop.example"]
    assert questions[0] == "AWS region for the prod stack [us-east-1]: "
    assert len(questions) == 3  # the wrong address was asked again
    config = tomllib.loads(samconfig.read_text())
    assert config["prod"]["global"]["parameters"] == {
        "stack_name": "customer-auth-prod",
        "region": "eu-west-1",
    }
    overrides = config["prod"]["deploy"]["parameters"]["parameter_overrides"]
    assert overrides == (
        "DeploymentType=Canary10Percent10Minutes LogRetentionDays=90 MailSender=codes@shop.example"
    )
    assert "# 10% of traffic for 10 minutes" in samconfig.read_text()  # the comments are kept
    assert config["dev"] == tomllib.loads((ROOT / "samconfig.toml").read_text())["dev"]

    def never(question: str) -> str:
        raise AssertionError(f"asked again: {question}")

    assert deploy.configure("prod", {}, config=samconfig, template=MAILER_TEMPLATE, ask=never) == []


def test_off_a_terminal_the_values_come_from_the_command_line_or_the_environments_region(
    samconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-southeast-2")

    written = deploy.configure(
        "dev", {"MAIL_FROM": "no-reply@shop.example"}, config=samconfig, template=MAILER_TEMPLATE
    )

    assert written == ["region = ap-southeast-2", "MailSender = no-reply@shop.example"]


def test_off_a_terminal_a_missing_value_is_one_line_naming_the_variable_that_gives_it(
    samconfig: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    before = samconfig.read_text()

    with pytest.raises(deploy.Missing) as missing:
        deploy.configure("dev", {}, config=samconfig, template=MAILER_TEMPLATE)

    assert str(missing.value) == (
        "make deploy: samconfig.toml has no mail from for ENV=dev: give it once with MAIL_FROM=... "
        "(it is kept in samconfig.toml)"
    )
    assert samconfig.read_text() == before


def test_a_template_without_the_senders_parameter_is_not_asked_for_one(samconfig: Path) -> None:
    template = {"Parameters": {"TokenIssuer": {"Type": "String"}}}

    assert deploy.configure("dev", {"REGION": "eu-central-1"}, config=samconfig, template=template) == [
        "region = eu-central-1"
    ]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"REGION": "Europe"}, "'Europe' is not an AWS region"),
        ({"REGION": "eu-west-1", "MAIL_FROM": "shop"}, "'shop' is not an email address"),
    ],
)
def test_a_value_that_cannot_be_right_is_refused_before_anything_is_written(
    samconfig: Path, given: dict[str, str], message: str
) -> None:
    before = samconfig.read_text()

    with pytest.raises(deploy.Missing, match=message):
        deploy.configure("dev", given, config=samconfig, template=MAILER_TEMPLATE)

    assert samconfig.read_text() == before


def test_an_unknown_environment_names_the_ones_there_are(samconfig: Path) -> None:
    with pytest.raises(deploy.Missing, match="no environment 'staging' \\(it has dev, prod\\)"):
        deploy.configure("staging", {"REGION": "eu-west-1"}, config=samconfig)
