"""The output of `sam build` runs: each built function is imported in a fresh interpreter that has
only its built code and the built layer on ``sys.path`` (as Lambda's ``/var/task`` and
``/opt/python``) and only the environment template.yaml gives it, and is invoked once with its
``events/`` sample against moto served on a port.

`make test` builds first (`make build-host`: the same template, code and pinned requirements, for
this machine's architecture, since the deployment's arm64 wheels cannot load on x86_64).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_events import EVENTS, assert_sample_succeeded, prepared
from tests.support.fixtures import World
from tools import sam_template

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build-host"
LAYER = BUILD / "SharedLayer" / "python"

# Runs in the fresh interpreter: -I -S, so neither this project's virtualenv nor PYTHONPATH is
# on sys.path; the function's directory and the layer are put first, as Lambda puts them.
_INVOKE = """
import importlib.util, json, sys
function_dir, layer = sys.argv[1], sys.argv[2]
sys.path[:0] = [function_dir, layer]
spec = importlib.util.spec_from_file_location("app", function_dir + "/app.py")
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)

class Context:
    function_name = sys.argv[3]
    memory_limit_in_mb = 256
    aws_request_id = "built-function-test"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + sys.argv[3]
    log_group_name = log_stream_name = ""
    def get_remaining_time_in_millis(self):
        return 10_000

response = app.lambda_handler(json.load(sys.stdin), Context())
modules = ("customer_auth", "boto3", "pydantic")
origins = {name: getattr(sys.modules.get(name), "__file__", None) for name in modules}
print(json.dumps({"response": response, "origins": origins, "moto": "moto" in sys.modules}))
"""


def _lambda_environment(function: str, endpoint: str) -> dict[str, str]:
    """What Lambda gives the function: the template's Globals and its own variables (resolved to
    this test's values), the region and credentials, and nothing of this process's environment."""
    declared = {**sam_template.function_environment(), **sam_template.own_environment(function)}
    environment = {name: str(os.environ[name]) for name in declared if name in os.environ}
    environment.update(
        {
            name: str(value)
            for name, value in declared.items()
            if isinstance(value, str | int) and name not in environment
        }
    )
    environment.update(
        {
            "PATH": os.environ["PATH"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": endpoint,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    if "AWS_ENDPOINT_URL_DYNAMODB" in os.environ:  # the DynamoDB Local leg
        environment["AWS_ENDPOINT_URL_DYNAMODB"] = os.environ["AWS_ENDPOINT_URL_DYNAMODB"]
    return environment


def _invoke_built(function: str, event: dict[str, Any], endpoint: str) -> dict[str, Any]:
    function_dir = BUILD / function
    run = subprocess.run(  # noqa: S603 (this interpreter, this repository's build)
        [sys.executable, "-I", "-S", "-c", _INVOKE, str(function_dir), str(LAYER), function],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=60,
        env=_lambda_environment(function, endpoint),
        cwd=function_dir,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def built() -> Path:
    if not (BUILD / "template.yaml").exists():
        pytest.fail("no build to test: run `make build-host` (make test does)")
    return BUILD


def test_every_function_of_the_template_was_built(built: Path) -> None:
    functions = {route.function for route in sam_template.routes()}
    assert functions <= {p.name for p in built.iterdir() if (p / "app.py").exists()}
    assert (LAYER / "customer_auth" / "domain" / "credentials" / "common_passwords.txt").exists()


@pytest.mark.parametrize("event_file", sorted(EVENTS.glob("*.json")), ids=lambda p: p.stem)
def test_built_function_runs_its_sample(
    built: Path, served_world: World, moto_server: str, event_file: Path
) -> None:
    sample = prepared(served_world, event_file)

    result = _invoke_built(sample.route.function, sample.event, moto_server)

    assert_sample_succeeded(sample, result["response"])
    for module, origin in result["origins"].items():
        assert origin is not None, module
        assert Path(origin).is_relative_to(LAYER), f"{module} came from {origin}, not the built layer"
    assert result["moto"] is False


def test_the_built_mailer_renders_from_the_built_layers_templates_and_sends_through_ses(
    built: Path, served_world: World, moto_server: str
) -> None:
    """The mailer's templates and Jinja2 are in the built layer: the built function mails an event
    (in the SQS event Lambda gives it) through SES on the served moto."""
    import boto3
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    assert (LAYER / "customer_auth" / "mail" / "templates" / "en" / "password_changed.html").exists()
    assert (LAYER / "jinja2" / "__init__.py").exists()
    boto3.client("sesv2").create_email_identity(EmailIdentity="shop.example")
    event = {
        "version": "0",
        "id": "built-mailer-event-1",
        "detail-type": "PasswordChanged",
        "source": "customer-auth",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "tenantId": 100,
            "siteId": 200,
            "accountId": 1,
            "userId": "u1",
            "userName": "ada@example.com",
            "emailAddress": "ada@example.com",
            "via": "Change-Password",
            "changedAt": "2026-01-01T00:00:00+00:00",
        },
    }
    record = {
        "messageId": "m1",
        "receiptHandle": "r1",
        "body": json.dumps(event),
        "attributes": {},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:mail",
        "awsRegion": "us-east-1",
    }
    os.environ["MAIL_SENDER"] = "Shop <no-reply@shop.example>"
    try:
        result = _invoke_built("MailerFunction", {"Records": [record]}, moto_server)
    finally:
        del os.environ["MAIL_SENDER"]

    assert result["response"] == {"batchItemFailures": []}
    assert result["moto"] is False
    (sent,) = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert "Subject: Your Acme password was changed" in sent.raw_data
