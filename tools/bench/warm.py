"""Round trips and warm overhead: each function's sample request recorded once on moto, then
replayed on its recorded answers, beside a floor that makes the same AWS calls with no framework.

Both sides are timed in this thread's CPU time: a replayed request neither sleeps nor waits on I/O,
so on a quiet machine its CPU time is its wall time, and on a shared one the time the scheduler
gives to other processes (a whole time slice, several times a read route's 0.6 ms) stays out of
it. The wall-clock medians are kept beside them.
"""

import contextlib
import copy
import gc
import io
import json
import math
import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import perf_counter_ns, thread_time_ns
from typing import Any

import jwt
from botocore import xform_name
from botocore.exceptions import ClientError

from customer_auth.api import runtime
from customer_auth.tokens.jwt import JwtCodec

from ..local_api.router import LambdaContext
from .replay import Call, FakeHasher, Replayer
from .world import Sample, World


@dataclass
class Recording:
    """One request of a function's sample, as it ran on moto."""

    function: str
    sample: Sample
    calls: list[Call]
    minted: list[str]
    """The JWTs the request minted."""
    verified: list[str]
    """The JWTs the request verified (the app token, a shopper's jwtAccessToken)."""
    body: Any
    hash_operations: int
    recorded_at: datetime
    """When it ran: a replay elsewhere runs at this moment (a 2FA code lives three minutes)."""
    table_before: list[dict[str, Any]] = field(default_factory=list)
    table_after: list[dict[str, Any]] = field(default_factory=list)
    """The table just before and just after the request (for its items' sizes)."""

    @property
    def round_trips(self) -> int:
        return sum(1 for call in self.calls if call.service == "dynamodb")

    @property
    def operations(self) -> dict[str, int]:
        return dict(Counter(call.operation for call in self.calls if call.service == "dynamodb"))


@dataclass
class _JwtTraffic:
    minted: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _jwt_traffic() -> Iterator[_JwtTraffic]:
    """The JWTs a request mints and verifies, seen through the service's one codec."""
    traffic = _JwtTraffic()
    mint, verify = JwtCodec.mint, JwtCodec.verify

    def minting(self: JwtCodec, *args: Any, **kwargs: Any) -> str:
        token = mint(self, *args, **kwargs)
        traffic.minted.append(token)
        return token

    def verifying(self: JwtCodec, token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        traffic.verified.append(token)
        return verify(self, token, *args, **kwargs)

    setattr(JwtCodec, "mint", minting)  # noqa: B010
    setattr(JwtCodec, "verify", verifying)  # noqa: B010
    try:
        yield traffic
    finally:
        setattr(JwtCodec, "mint", mint)  # noqa: B010
        setattr(JwtCodec, "verify", verify)  # noqa: B010


class _Discard(io.TextIOBase):
    """Where powertools' metrics (EMF lines on stdout) go while the bench runs handlers."""

    def write(self, text: str) -> int:
        return len(text)


def quiet() -> contextlib.AbstractContextManager[Any]:
    return contextlib.redirect_stdout(_Discard())


def record(world: World, hasher: FakeHasher, function: str) -> Recording:
    """The function's sample request, once, on moto: its AWS calls, JWTs and response."""
    with quiet():
        sample = world.prepare(function)
    hasher.operations = 0
    before = world.items()
    recorded_at = datetime.now(UTC)
    with _jwt_traffic() as jwts, quiet():
        world.recorder.start()
        try:
            response = world.router.invoke(sample.route, copy.deepcopy(sample.event))
        finally:
            calls = world.recorder.stop()
    if response["statusCode"] != sample.expected_status:
        raise AssertionError(f"{function}: sample answered {response['statusCode']}: {response.get('body')}")
    unexpected = [f"{c.service}.{c.operation}" for c in calls if c.service not in {"dynamodb", "events"}]
    if unexpected:
        raise AssertionError(f"{function}: the request called {unexpected} (keys are cached when warm)")
    text = response.get("body") or ""
    return Recording(
        function=function,
        sample=sample,
        calls=calls,
        minted=jwts.minted,
        verified=jwts.verified,
        body=json.loads(text) if text else None,
        hash_operations=hasher.operations,
        recorded_at=recorded_at,
        table_before=before,
        table_after=world.items(),
    )


FLOOR_PARTS = ("jwt_verify", "aws", "jwt_sign", "json")


@dataclass
class Timings:
    """Per-request times in milliseconds."""

    samples_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class WarmResult:
    handler: Timings
    """The handler's CPU time per request."""
    floor: Timings
    """The floor's CPU time per request."""
    floor_parts: dict[str, Timings]
    handler_wall: Timings = field(default_factory=Timings)
    floor_wall: Timings = field(default_factory=Timings)

    @property
    def ratio(self) -> float:
        """What the budget judges: the handler's median CPU time over the floor's."""
        return self.handler.median / self.floor.median


def measure(world: World, recording: Recording, iterations: int, warmup: int) -> WarmResult:
    """The handler and its floor, alternately, ``iterations`` times each after ``warmup``."""
    route, sample = recording.sample.route, recording.sample
    handler = world.router.handler(route)
    context = LambdaContext(function_name=route.function, aws_request_id="bench")
    replayer = world.replayer
    floor = _floor(world, recording, replayer)

    def handled() -> tuple[float, float]:
        """The request's CPU time and wall time, in ms."""
        event = copy.deepcopy(sample.event)
        replayer.load(recording.calls)
        started, started_cpu = perf_counter_ns(), thread_time_ns()
        response = handler(event, context)
        elapsed_cpu, elapsed = thread_time_ns() - started_cpu, perf_counter_ns() - started
        replayer.drained()
        if response["statusCode"] != sample.expected_status:
            raise AssertionError(f"{route.function} answered {response['statusCode']} on replay")
        return elapsed_cpu / 1e6, elapsed / 1e6

    result = WarmResult(Timings(), Timings(), {part: Timings() for part in FLOOR_PARTS})
    with quiet():
        try:
            for _ in range(warmup):
                handled()
                floor()
            gc.collect()
            for _ in range(iterations):
                cpu, wall = handled()
                result.handler.samples_ms.append(cpu)
                result.handler_wall.samples_ms.append(wall)
                parts = floor()
                result.floor_wall.samples_ms.append(parts.pop("wall"))
                result.floor.samples_ms.append(sum(parts.values()))
                for part, elapsed in parts.items():
                    result.floor_parts[part].samples_ms.append(elapsed)
        finally:
            replayer.active = False
    return result


def _floor(world: World, recording: Recording, replayer: Replayer) -> Callable[[], dict[str, float]]:
    """The same request with no framework: the recorded AWS calls on the same clients and stub,
    pyjwt verifying the request's JWTs and signing the same claims with the same ES256 key, and
    ``json.dumps`` of the same body. Each part in CPU time, and the whole in wall time as ``wall``."""
    clients = world.clients()
    methods = [getattr(clients[call.service], xform_name(call.operation)) for call in recording.calls]
    codec = runtime.jwt_codec()
    key = codec.keys.signing_key
    public_key = key.private_key.public_key()
    signing = [
        (jwt.decode(token, options={"verify_signature": False}), jwt.get_unverified_header(token))
        for token in recording.minted
    ]
    headers = [{"kid": header["kid"], "typ": header["typ"]} for _, header in signing]
    verifying = list(recording.verified)
    body = recording.body

    def once() -> dict[str, float]:
        replayer.load(recording.calls)
        params = [copy.deepcopy(call.params) for call in recording.calls]
        wall_started, started = perf_counter_ns(), thread_time_ns()
        for token in verifying:
            jwt.decode(token, public_key, algorithms=["ES256"], audience=codec.audience, issuer=codec.issuer)
        verified = thread_time_ns()
        for method, kwargs in zip(methods, params, strict=True):
            with contextlib.suppress(ClientError):  # a recorded refusal costs the same call
                method(**kwargs)
        called = thread_time_ns()
        for (claims, _), header in zip(signing, headers, strict=True):
            jwt.encode(claims, key.private_key, algorithm="ES256", headers=header)
        signed = thread_time_ns()
        if body is not None:
            json.dumps(body, separators=(",", ":"))
        encoded, wall_ended = thread_time_ns(), perf_counter_ns()
        replayer.drained()
        return {
            "jwt_verify": (verified - started) / 1e6,
            "aws": (called - verified) / 1e6,
            "jwt_sign": (signed - called) / 1e6,
            "json": (encoded - signed) / 1e6,
            "wall": (wall_ended - wall_started) / 1e6,
        }

    return once
