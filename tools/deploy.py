"""What ``make deploy`` and ``make destroy`` need before SAM runs.

``check``: AWS credentials, found as SAM will find them (AWS_PROFILE, AWS_ACCESS_KEY_ID, the shared
files, SSO, a container or instance role). Nothing is sent anywhere; when none are found it prints
one line saying what to set (``make`` stops on it before doing anything else).

``configure``: the environment's region, and each template parameter that has no usable default
(the mailer's sender address), from samconfig.toml, or else from the command line, or else asked
once on the terminal and written to samconfig.toml, so the next deploy asks nothing.
"""

import argparse
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import tomlkit
from tomlkit.items import Table

from . import sam_template

SAMCONFIG = sam_template.ROOT / "samconfig.toml"
EMAIL = re.compile(r"[^@\s\"']+@[^@\s\"']+\.[^@\s\"']+")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


class Missing(Exception):
    """What the deploy needs and cannot get; the message is one line."""


@dataclass(frozen=True)
class Asked:
    """A template parameter the operator gives once: its samconfig name, the make variable that
    gives it on the command line, and what the question says."""

    parameter: str
    variable: str
    question: str


ASKED = (
    Asked(
        "MailSender",
        "MAIL_FROM",
        "the address the codes' emails come from (an SES-verified address or domain)",
    ),
)


def check(env: str, config: Path = SAMCONFIG, goal: str = "deploy") -> None:
    """Raise ``Missing`` unless AWS credentials can be found for ``env``'s stack (``make goal``)."""
    profile = _section(_document(config), env, "global").get("profile") or os.environ.get("AWS_PROFILE")
    try:
        session = boto3.Session(profile_name=str(profile) if profile else None)
        found = session.get_credentials()
    except Exception as error:  # botocore's ProfileNotFound, a malformed config file, ...
        raise Missing(f"make {goal}: the AWS configuration is not usable: {error}") from None
    if found is None:
        raise Missing(
            f"make {goal}: no AWS credentials: set AWS_PROFILE (after aws configure or aws sso login), "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )


def configure(
    env: str,
    given: dict[str, str],
    *,
    config: Path = SAMCONFIG,
    template: dict[str, Any] | None = None,
    ask: Any = None,
) -> list[str]:
    """Fill in the environment's region and asked parameters in samconfig.toml; returns what was
    written (``[]``: nothing was missing). ``given``: values from the command line (``REGION`` and
    the ``Asked`` variables); ``ask``: the question function, ``None`` off a terminal."""
    document = _document(config)
    if env not in document:
        names = ", ".join(name for name in document if isinstance(document[name], Table))
        raise Missing(f"make deploy: samconfig.toml has no environment {env!r} (it has {names})")
    global_parameters = _section(document, env, "global")
    deploy_parameters = _section(document, env, "deploy")
    written = []

    if "region" not in global_parameters:
        region = given.get("REGION") or _ask(
            ask,
            f"AWS region for the {env} stack",
            os.environ.get("AWS_REGION") or boto3.Session().region_name,
            REGION,
            "REGION",
            env,
        )
        if not REGION.fullmatch(region):
            raise Missing(f"make deploy: {region!r} is not an AWS region (like eu-west-1)")
        global_parameters["region"] = region
        written.append(f"region = {region}")

    overrides = _overrides(str(deploy_parameters.get("parameter_overrides", "")))
    declared = (template or sam_template.template()).get("Parameters", {})
    for asked in ASKED:
        if asked.parameter not in declared or overrides.get(asked.parameter):
            continue
        value = given.get(asked.variable) or _ask(ask, asked.question, None, EMAIL, asked.variable, env)
        if not EMAIL.fullmatch(value):
            raise Missing(f"make deploy: {value!r} is not an email address ({asked.variable})")
        overrides[asked.parameter] = value
        written.append(f"{asked.parameter} = {value}")

    if written:
        deploy_parameters["parameter_overrides"] = " ".join(
            f"{name}={shlex.quote(value)}" for name, value in overrides.items()
        )
        config.write_text(tomlkit.dumps(document))
    return written


def _ask(
    ask: Any, question: str, default: str | None, pattern: re.Pattern[str], variable: str, env: str
) -> str:
    if ask is None:
        if default and pattern.fullmatch(default):
            return default
        raise Missing(
            f"make deploy: samconfig.toml has no {variable.lower().replace('_', ' ')} for ENV={env}: "
            f"give it once with {variable}=... (it is kept in samconfig.toml)"
        )
    while True:
        answer: str = ask(f"{question}{f' [{default}]' if default else ''}: ").strip() or (default or "")
        if pattern.fullmatch(answer):
            return answer
        print(f"  {answer!r} does not look right; again, please", file=sys.stderr)


def _overrides(text: str) -> dict[str, str]:
    """``parameter_overrides``: space-separated ``Name=value`` pairs, values optionally quoted."""
    pairs = (part.partition("=") for part in shlex.split(text))
    return {name: value for name, _, value in pairs if name}


def _document(config: Path) -> tomlkit.TOMLDocument:
    return tomlkit.parse(config.read_text())


def _section(document: tomlkit.TOMLDocument, env: str, command: str) -> Table:
    """``[env.command.parameters]``, made if it is missing."""
    environment = document.setdefault(env, tomlkit.table(is_super_table=True))
    parameters = environment.setdefault(command, tomlkit.table(is_super_table=True))
    found: Table = parameters.setdefault("parameters", tomlkit.table())
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy", description=__doc__)
    parser.add_argument("action", choices=("check", "configure"))
    parser.add_argument("--env", default="dev")
    parser.add_argument("--goal", default="deploy", help="the make target, named in messages")
    parser.add_argument("--config", type=Path, default=SAMCONFIG)
    parser.add_argument("--set", action="append", default=[], metavar="VARIABLE=VALUE")
    args = parser.parse_args(argv)
    try:
        if args.action == "check":
            check(args.env, args.config, args.goal)
            return 0
        given = dict(item.partition("=")[::2] for item in args.set)
        interactive = sys.stdin.isatty()
        written = configure(
            args.env,
            {name: value for name, value in given.items() if value},
            config=args.config,
            ask=input if interactive else None,
        )
    except Missing as missing:
        print(missing)
        return 2
    for line in written:
        print(f"samconfig.toml [{args.env}]: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
