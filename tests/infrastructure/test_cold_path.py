"""What a function's cold start imports: not the X-Ray SDK unless the XRaySubsegments parameter
asks for its subsegments, not email_validator until a request has an address to check, and never
Jinja2 (only the mailer, which no route is, renders templates); and
that it imports with the garbage collector paused, its heap frozen once it is built."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tools import sam_template
from tools.bench.cold import compile_bytecode

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared"
FUNCTIONS = {route.function: route for route in sam_template.routes()}

_CHILD = """
import gc, json, sys
collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(info["generation"]))
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app
from customer_auth.api import observability
result = {
    "xray": "aws_xray_sdk" in sys.modules,
    "email_validator": "email_validator" in sys.modules,
    "jinja2": "jinja2" in sys.modules,
    "tracer": observability.tracer is not None,
    "collections_during_import": len(collections),
    "collector_enabled_after": gc.isenabled(),
    "frozen_objects": gc.get_freeze_count(),
}
if len(sys.argv) > 3:
    event = json.loads(sys.argv[3])

    class Context:
        function_name = "F"
        memory_limit_in_mb = 256
        aws_request_id = "r"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:F"

    response = app.lambda_handler(event, Context())
    result["status"] = response["statusCode"]
    result["errorCode"] = json.loads(response["body"])["errorCode"]
print(json.dumps(result))
"""


def _cold_import(function: str, xray: str | None, event: dict[str, Any] | None = None) -> dict[str, Any]:
    environment = {
        "PATH": os.environ["PATH"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_NAME": "customer-auth-test",
        "SIGNING_KEYS_SECRET_ID": "keys",
        "POWERTOOLS_SERVICE_NAME": "customer-auth",
        "POWERTOOLS_METRICS_NAMESPACE": "CustomerAuth",
        "POWERTOOLS_TRACE_DISABLED": "true",  # nothing may be sent anywhere
        "AWS_LAMBDA_FUNCTION_NAME": function,
    }
    if xray is not None:
        environment["XRAY_SUBSEGMENTS"] = xray
    route = FUNCTIONS[function]
    arguments = [str(route.code_dir), str(LAYER)] + ([json.dumps(event)] if event else [])
    process = subprocess.run(  # noqa: S603 (this interpreter)
        [sys.executable, "-c", _CHILD, *arguments],
        cwd=route.code_dir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    result: dict[str, Any] = json.loads(process.stdout.splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def default_cold_imports() -> dict[str, dict[str, Any]]:
    """Every function imported in a fresh process, with the template's defaults, from bytecode
    compiled first as a build's is (compiling a module's source can itself set off a collection,
    before the function's first line runs)."""
    compile_bytecode()
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(FUNCTIONS, pool.map(lambda f: _cold_import(f, None), FUNCTIONS), strict=True))


def test_no_function_imports_the_xray_sdk_email_validator_or_jinja2_at_cold_start_by_default(
    default_cold_imports: dict[str, dict[str, Any]],
) -> None:
    results = default_cold_imports
    assert {f: r for f, r in results.items() if r["xray"] or r["tracer"]} == {}
    assert {f: r for f, r in results.items() if r["email_validator"]} == {}
    assert {f: r for f, r in results.items() if r["jinja2"]} == {}


def test_every_function_imports_with_the_collector_paused_then_frozen_and_resumed(
    default_cold_imports: dict[str, dict[str, Any]],
) -> None:
    """customer_auth.coldstart: no collection walks the heap while it is built (about 50 ms of CPU
    time an init, make bench), and once it is built it is frozen and collection resumes."""
    for function, result in default_cold_imports.items():
        assert result["collections_during_import"] == 0, function
        assert result["collector_enabled_after"] is True, function
        assert result["frozen_objects"] > 100_000, function


@pytest.mark.parametrize("value", ["false", "FALSE", ""])
def test_xray_subsegments_off_means_no_tracer(value: str) -> None:
    assert _cold_import("GetAccountFunction", value)["tracer"] is False


def test_xray_subsegments_on_traces_the_handler_which_still_answers() -> None:
    event = json.loads((ROOT / "events" / "not_found.json").read_text())
    result = _cold_import("NotFoundFunction", "true", event)
    assert result["xray"] is True
    assert result["tracer"] is True
    assert (result["status"], result["errorCode"]) == (404, "ITEM_NOT_FOUND")


def test_the_template_turns_subsegments_off_unless_asked() -> None:
    template = sam_template.template()
    parameter = template["Parameters"]["XRaySubsegments"]
    assert parameter["Default"] == "false"
    assert set(parameter["AllowedValues"]) == {"false", "true"}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["XRAY_SUBSEGMENTS"] == {"Ref": "XRaySubsegments"}
    assert template["Globals"]["Function"]["Tracing"] == "Active"


def test_snapstart_is_a_parameter_off_by_default_for_published_versions() -> None:
    template = sam_template.template()
    parameter = template["Parameters"]["SnapStart"]
    assert parameter["Default"] == "false"
    assert set(parameter["AllowedValues"]) == {"false", "true"}
    assert template["Conditions"]["SnapStartOn"] == {"Fn::Equals": [{"Ref": "SnapStart"}, "true"]}
    snap_start = template["Globals"]["Function"]["SnapStart"]
    assert snap_start == {"ApplyOn": {"Fn::If": ["SnapStartOn", "PublishedVersions", "None"]}}
