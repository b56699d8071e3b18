"""The environment the bench runs functions in: template.yaml's variables, fake AWS credentials.

The intrinsics are resolved to stand-ins (a parameter to its default, a resource to a made-up
name), the same in this process and in the cold-start processes, so that a token minted here
verifies there.
"""

import os
from typing import Any

from .. import sam_template

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
_DROPPED = (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "CODE_OUTBOX_FILE",
    "PASSWORD_HASH_PROFILE",
    "POWERTOOLS_TRACE_DISABLED",
    "POWERTOOLS_METRICS_DISABLED",
)


def _resolved(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    (name,) = value.values() if "Ref" in value else ("unresolved",)
    parameter = sam_template.template().get("Parameters", {}).get(name)
    if parameter is not None:
        return str(parameter["Default"])
    return f"bench-{name}"


def function_environment(function: str | None = None) -> dict[str, str]:
    """What template.yaml gives every function (and ``function`` its own), resolved."""
    variables = dict(sam_template.function_environment())
    if function is not None:
        variables.update(sam_template.own_environment(function))
    return {name: _resolved(value) for name, value in variables.items()}


def apply_in_process() -> None:
    """This process's environment: every function's variables (the warm bench loads them all),
    the code bus for the 2FA routes, and the key cache long enough that no warm request fetches
    the keys (a warm container fetches them at most every few minutes)."""
    for name in _DROPPED:
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.update(function_environment())
    for route in sam_template.routes():
        os.environ.update(function_environment(route.function))
    os.environ["SIGNING_KEYS_CACHE_SECONDS"] = str(24 * 3600)
    # Recovery answers wait out a deliberate floor (150 ms) so their timing tells nothing; the
    # warm bench measures the code's own cost, not that wait.
    os.environ["RECOVERY_ANSWER_MS"] = "0"
    # Not in Lambda, powertools disables the tracer anyway; said here so that it is not a surprise.
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"


def lambda_environment(function: str | None, code_dir: str, memory_mb: int, secret: str) -> dict[str, str]:
    """A cold process's environment, as Lambda sets it: the function's variables (``None``: the
    Globals only, for the floors; XRAY_SUBSEGMENTS at its default, so no tracer is built), the
    runtime's own (an active trace, as ``Tracing: Active`` gives), and the signing secret the
    process answers Secrets Manager with."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    return {
        **keep,
        **FAKE_CREDENTIALS,
        **function_environment(function),
        "LAMBDA_TASK_ROOT": code_dir,
        "AWS_LAMBDA_FUNCTION_NAME": function or "BenchFloor",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "_HANDLER": "app.lambda_handler",
        # An unsampled trace, so the tracer records nothing and sends nothing.
        "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0",
        "BENCH_SIGNING_SECRET": secret,
    }


LAMBDA_MB_PER_VCPU = 1769
"""Lambda gives a function one full vCPU at 1,769 MB, and CPU in proportion to memory below it."""


def slowdown(memory_mb: int) -> float:
    """How much longer single-threaded work takes at ``memory_mb`` than on one full vCPU: Lambda
    gives memory / 1,769 MB of a vCPU (and no more than a core to one thread)."""
    return max(1.0, LAMBDA_MB_PER_VCPU / memory_mb)


def memory_size(function: str) -> int:
    properties = sam_template.template()["Resources"][function]["Properties"]
    globals_size = sam_template.template()["Globals"]["Function"].get("MemorySize", 128)
    return int(properties.get("MemorySize", globals_size))
