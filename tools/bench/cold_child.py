"""A cold start, run as ``python -c <this file's text> MODE FUNCTION_DIR LAYER_DIR SPEC RESULT``.

It imports nothing of the bench: the clock starts on the first line, before any import.

``floor``: ``import boto3`` and one DynamoDB client. ``stack``: the stack floor, what any function
built on this stack builds before its own code runs: the DynamoDB client, pyjwt signing one ES256
token with a loaded key, one pydantic model, powertools' Logger and Metrics, and
``APIGatewayHttpResolver(enable_validation=True)`` with one route taking a body model.
``stack-paused``: the same with the garbage collector paused as the functions pause it (a figure
beside the budget, not the budget's floor).
``function``: what a function's container
builds before it can answer (``init_ms``): ``import app`` from the function's directory with the
layer on the path, ``settings()``, the DynamoDB client (``runtime.store()``), then the signing keys
through the same path as a request (powertools' Secrets Manager provider and its client, the key
set parsed, the ``JwtCodec``), Secrets Manager being answered in-process by a botocore
``before-call`` hook (no network). Then, untimed for the budget, the function's first request on
its recorded AWS answers at the moment they were recorded (``first_request_ms``), password hashing
replaced by a SHA-256 but the real hasher still built, so that ``argon2_after_request`` tells
whether the route imports argon2.
"""

from time import perf_counter, process_time

_T0 = perf_counter()
_CPU0 = process_time()

import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

INIT_DONE = "bench: init done"


def _cpu_ms() -> float:
    """The CPU time the init took (user and system): what it costs when nothing else competes for
    the core, which a shared machine's wall clock does not show."""
    return (process_time() - _CPU0) * 1000


def _peak_mib() -> float:
    """The process's peak resident memory. ``ru_maxrss`` would carry the parent's peak over the
    fork (Linux keeps it across exec), so the address space's own high-water mark is read."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB; not Linux


def _spans(marks: dict[str, float]) -> dict[str, float]:
    """Cumulative CPU marks as the CPU time of each stage."""
    spans, before = {}, 0.0
    for stage, at in marks.items():
        spans[stage] = at - before
        before = at
    return spans


def _floor() -> dict[str, object]:
    import boto3

    boto3.client("dynamodb")
    init_ms = (perf_counter() - _T0) * 1000
    return {"init_ms": init_ms, "init_cpu_ms": _cpu_ms(), "peak_mib_init": _peak_mib()}


def _stack_floor(paused: bool = False) -> dict[str, object]:
    """``paused``: the collector paused while the stack is built, then its heap frozen, as each
    function's init does (``customer_auth.coldstart``)."""
    import gc

    if paused:
        gc.disable()
    import boto3

    boto3.client("dynamodb")

    import jwt
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(os.environ["BENCH_FLOOR_KEY_PEM"].encode(), password=None)
    jwt.encode({"sub": "floor"}, key, algorithm="ES256", headers={"kid": "floor"})  # type: ignore[arg-type]

    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from pydantic import BaseModel

    class Thing(BaseModel):
        name: str
        count: int = 0

    Logger()
    Metrics()
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.post("/things")
    def create(thing: Thing) -> dict[str, object]:
        return thing.model_dump()

    if paused:
        gc.freeze()
        gc.enable()
    init_ms = (perf_counter() - _T0) * 1000
    return {
        "init_ms": init_ms,
        "init_cpu_ms": _cpu_ms(),
        "peak_mib_init": _peak_mib(),
        "modules_after_init": len(sys.modules),
    }


def _function(function_dir: str, layer_dir: str) -> dict[str, object]:
    sys.path[:0] = [function_dir, layer_dir]
    import importlib

    handler_module = importlib.import_module("app")
    stages = {"import": _cpu_ms()}
    from customer_auth.api import runtime
    from customer_auth.api.settings import settings

    settings()
    runtime.store()
    stages["settings_and_store"] = _cpu_ms()
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    # What key_set() builds on the first request; built here so that its client can be answered
    # without a network.
    provider = runtime.secrets_provider()
    stages["secrets_client"] = _cpu_ms()
    secret = os.environ["BENCH_SIGNING_SECRET"]

    def answer(**_: object) -> tuple[AWSResponse, dict[str, object]]:
        name = os.environ["SIGNING_KEYS_SECRET_ID"]
        return AWSResponse("https://secretsmanager.invalid", 200, HTTPHeaders(), None), {
            "ARN": f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}",
            "Name": name,
            "VersionId": "bench",
            "SecretString": secret,
        }

    events = provider.client.meta.events
    events.register("before-call.secrets-manager.GetSecretValue", answer)  # type: ignore[arg-type]
    runtime.jwt_codec()
    init_ms = (perf_counter() - _T0) * 1000
    stages["signing_keys"] = _cpu_ms()
    return {
        "init_ms": init_ms,
        "init_cpu_ms": stages["signing_keys"],
        "stages_cpu_ms": _spans(stages),
        "peak_mib_init": _peak_mib(),
        "argon2_after_init": "argon2" in sys.modules,
        "modules_after_init": len(sys.modules),
        "handler": handler_module,
    }


def _first_request(handler_module: object, spec_file: str) -> dict[str, object]:
    """The sample request on its recorded answers: whatever the route builds lazily gets built."""
    import json
    from collections import deque
    from datetime import datetime
    from typing import Any

    import botocore.client

    from customer_auth.api import runtime

    spec = json.loads(open(spec_file).read())  # noqa: SIM115 (closed with the process)
    queue = deque(spec["calls"])

    def replayed(client: Any, operation_name: str, api_params: dict[str, Any]) -> dict[str, Any]:
        service = client.meta.service_model.service_name
        if not queue:
            raise AssertionError(f"unrecorded call {service}.{operation_name}")
        call = queue.popleft()
        if (call["service"], call["operation"]) != (service, operation_name):
            raise AssertionError(f"{service}.{operation_name} called; {call['operation']} was recorded")
        response: dict[str, Any] = call["response"]
        if call["status"] >= 300:
            error = client.exceptions.from_code(response.get("Error", {}).get("Code"))
            raise error(response, operation_name)
        return response

    setattr(botocore.client.BaseClient, "_make_api_call", replayed)  # noqa: B010
    real_hasher = runtime._password_hasher

    class _Hasher:
        """The route's real hasher is built (and argon2 imported) where production builds it;
        its work is a SHA-256, matching the hashes the bench recorded."""

        def __init__(self) -> None:
            real_hasher()

        def hash(self, password: str) -> str:
            import hashlib

            return "bench$" + hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest()

        def verify(self, password: str, stored_hash: str, *, external: bool, padded: bool = True) -> bool:
            return stored_hash == self.hash(password)

        def needs_rehash(self, stored_hash: str) -> bool:
            return False

        def verify_dummy(self, password: str) -> None:
            self.hash(password)

    setattr(runtime, "_password_hasher", _Hasher)  # noqa: B010
    # The request runs at the moment its answers were recorded, as a replay must.
    recorded_at = datetime.fromisoformat(spec["now"])
    setattr(runtime, "clock", lambda: recorded_at)  # noqa: B010

    class Context:
        function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        aws_request_id = "bench-first-request"
        invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        log_group_name = f"/aws/lambda/{function_name}"
        log_stream_name = "bench"

        def get_remaining_time_in_millis(self) -> int:
            return 10_000

    handler = getattr(handler_module, "lambda_handler")  # noqa: B009
    started = perf_counter()
    response = handler(spec["event"], Context())
    first_request_ms = (perf_counter() - started) * 1000
    if response["statusCode"] != spec["expected_status"]:
        raise AssertionError(f"first request answered {response['statusCode']}: {response.get('body')}")
    if queue:
        raise AssertionError(f"recorded calls not made: {[c['operation'] for c in queue]}")
    return {
        "first_request_ms": first_request_ms,
        "argon2_after_request": "argon2" in sys.modules,
        "peak_mib_after_request": _peak_mib(),
    }


def main() -> None:
    mode, function_dir, layer_dir, spec_file, result_file = sys.argv[1:6]
    if mode == "floor":
        result = _floor()
    elif mode == "stack":
        result = _stack_floor()
    elif mode == "stack-paused":
        result = _stack_floor(paused=True)
    else:
        result = _function(function_dir, layer_dir)
        sys.stderr.write(INIT_DONE + "\n")  # where -X importtime's lines of the init end
        result.update(_first_request(result.pop("handler"), spec_file))
    import json

    with open(result_file, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
