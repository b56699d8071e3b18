"""Fault injection for the fault matrix: faults placed at one AWS call of a request, through
botocore's own retry logic, and a test bed that puts the table back into a known state fast.

Faults are injected in ``before-send``, which botocore emits once per HTTP attempt: a handler
registered there ahead of moto's stub either raises a timeout or answers with an ``AWSResponse``
(and points the request at a host moto does not serve, so moto never applies it). The SDK then
sees exactly what it would see from AWS and retries as configured (standard mode, 4 attempts).
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ReadTimeoutError
from botocore.retries import standard
from moto import mock_aws

from customer_auth.api import runtime
from tests.support.fixtures import FrozenClock, World, _fresh_aws, seeded_world

Items = list[dict[str, Any]]
Context = dict[str, Any]

# -- the faults -------------------------------------------------------------------------------------
THROTTLED = "throttled"
CONFLICT = "conflict"
TXN_THROTTLED = "txn-throttled"
TIMEOUT = "timeout"
SERVER_ERROR = "500"
UNPROCESSED = "unprocessed"
FAILED_ENTRY = "failed-entry"

_DYNAMODB_ERROR = "com.amazonaws.dynamodb.v20120810#"
_UNROUTABLE = "https://fault-injected.invalid/"
"""Where an answered request is pointed, so that moto's stub (which runs after us) ignores it."""


class _Body:
    """The ``raw`` of an ``AWSResponse``: botocore reads the body through ``stream()``."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _response(status: int, body: dict[str, Any], content_type: str) -> AWSResponse:
    headers = {"Content-Type": content_type, "x-amzn-RequestId": "fault-injected"}
    return AWSResponse(_UNROUTABLE, status, headers, _Body(json.dumps(body).encode()))


def _cancelled(request_body: dict[str, Any], code: str) -> AWSResponse:
    """TransactionCanceledException with ``code`` as the first item's reason, as DynamoDB sends it."""
    count = len(request_body["TransactItems"])
    reasons = [{"Code": code, "Message": f"injected {code}"}] + [{"Code": "None"}] * (count - 1)
    message = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]".format(
        ", ".join(r["Code"] for r in reasons)
    )
    return _response(
        400,
        {
            "__type": _DYNAMODB_ERROR + "TransactionCanceledException",
            "Message": message,
            "CancellationReasons": reasons,
        },
        "application/x-amz-json-1.0",
    )


def dynamodb_fault(kind: str, operation: str, request_body: dict[str, Any]) -> AWSResponse:
    """What DynamoDB answers for ``kind``."""
    json_10 = "application/x-amz-json-1.0"
    if kind == THROTTLED:
        # A request-level throttle; DynamoDB names it ThrottlingException on transactions.
        code = (
            "ThrottlingException"
            if operation == "TransactWriteItems"
            else "ProvisionedThroughputExceededException"
        )
        return _response(400, {"__type": _DYNAMODB_ERROR + code, "message": "injected throttle"}, json_10)
    if kind == SERVER_ERROR:
        return _response(
            500, {"__type": _DYNAMODB_ERROR + "InternalServerError", "message": "injected 500"}, json_10
        )
    if kind == CONFLICT:
        return _cancelled(request_body, "TransactionConflict")
    if kind == TXN_THROTTLED:
        return _cancelled(request_body, "ThrottlingError")
    if kind == UNPROCESSED:
        # A throttled batch read: a 200 that leaves every key unprocessed.
        (table, wanted), *_ = request_body["RequestItems"].items()
        return _response(200, {"Responses": {table: []}, "UnprocessedKeys": {table: wanted}}, json_10)
    raise AssertionError(f"no DynamoDB fault {kind}")


def events_fault(kind: str) -> AWSResponse:
    """What EventBridge answers for ``kind``."""
    json_11 = "application/x-amz-json-1.1"
    if kind == THROTTLED:
        return _response(400, {"__type": "ThrottlingException", "message": "injected throttle"}, json_11)
    if kind == SERVER_ERROR:
        return _response(500, {"__type": "InternalException", "message": "injected 500"}, json_11)
    if kind == FAILED_ENTRY:
        entry = {"ErrorCode": "InternalFailure", "ErrorMessage": "injected failed entry"}
        return _response(200, {"FailedEntryCount": 1, "Entries": [entry]}, json_11)
    raise AssertionError(f"no EventBridge fault {kind}")


@dataclass(frozen=True)
class Fault:
    """``kind`` at the ``at``-th AWS call of a request. Transient: its first attempt only.
    Persistent: every attempt of it, and of every later call of the same operation (the
    service's own retries of that write), so that nothing can get past it."""

    at: int
    kind: str
    persistent: bool


@dataclass
class Injector:
    """Counts a request's AWS calls (``before-call``, once per API call) and their attempts
    (``before-send``, once per HTTP attempt), and injects the planned faults."""

    faults: tuple[Fault, ...] = ()
    calls: list[str] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)
    injected: list[tuple[int, str, str]] = field(default_factory=list)

    def before_call(self, model: Any, **_: Any) -> None:
        self.calls.append(model.name)
        self.attempts.append(0)

    def before_send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        index = len(self.calls) - 1
        self.attempts[index] += 1
        kind = self._kind_at(index)
        if kind is None:
            return None
        operation = self.calls[index]
        self.injected.append((index, operation, kind))
        if kind == TIMEOUT:
            raise ReadTimeoutError(endpoint_url=request.url)
        request.url = _UNROUTABLE
        if operation == "PutEvents":
            return events_fault(kind)
        body = json.loads(request.body or b"{}")
        return dynamodb_fault(kind, operation, body)

    def _kind_at(self, index: int) -> str | None:
        for fault in self.faults:
            if fault.persistent:
                if index == fault.at or (index > fault.at and self.calls[index] == self.calls[fault.at]):
                    return fault.kind
            elif index == fault.at and self.attempts[index] == 1:
                return fault.kind
        return None


@contextmanager
def injected(*faults: Fault) -> Iterator[Injector]:
    """``faults`` on the service's own clients (fresh ones, so each request has the SDK's full
    retry quota): the DynamoDB store's and the 2FA outbox's EventBridge client."""
    runtime.store.cache_clear()
    runtime.code_outbox.cache_clear()
    injector = Injector(faults)
    clients = [runtime.store()._db, runtime.code_outbox()._events]  # type: ignore[attr-defined]
    for client in clients:
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-call.{service}", injector.before_call)
        client.meta.events.register_first(f"before-send.{service}", injector.before_send)
    try:
        yield injector
    finally:
        for client in clients:
            service = client.meta.service_model.service_id.hyphenize()
            client.meta.events.unregister(f"before-call.{service}", injector.before_call)
            client.meta.events.unregister(f"before-send.{service}", injector.before_send)


# -- the bed ----------------------------------------------------------------------------------------
def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


@dataclass
class Stage:
    """A precondition: built from its parent stage's table by ``build``, which returns what the
    requests need (tokens, ids) to add to the parent's context."""

    name: str
    parent: str | None
    build: Callable[[World, Context], Context]


@dataclass
class Bed:
    """One moto world per module, with a frozen clock; each stage's table is built once and put
    back before every case (the differences written back, instead of a new world)."""

    world: World
    stages: dict[str, Stage] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    _built: dict[str, tuple[Items, Context]] = field(default_factory=dict)
    _known: Items | None = None
    """The table as last scanned, while nothing has written to it since."""

    def scan(self) -> Items:
        self._known = self.world.scan()
        return self._known

    def prepare(self, stage_name: str) -> tuple[Context, Items]:
        """The table put back as ``stage_name`` left it: the stage's context and items."""
        if stage_name not in self._built:
            stage = self.stages[stage_name]
            context = dict(self.prepare(stage.parent)[0]) if stage.parent else {}
            self._known = None
            context.update(stage.build(self.world, context))
            self._built[stage_name] = (self.scan(), context)
        items, context = self._built[stage_name]
        self._restore(items)
        return context, items

    def run(self, request: Callable[[], Any], *faults: Fault) -> tuple[Any, Injector, Items]:
        """``request`` with ``faults`` injected: its result, the injector and the table after."""
        self._known = None
        with injected(*faults) as injector:
            result = request()
        return result, injector, self.scan()

    def _restore(self, wanted: Items) -> None:
        db, table = self.world.dynamodb, self.world.table_name
        wanted_by_key = {_key(i): i for i in wanted}
        current = self._known if self._known is not None else self.world.scan()
        self._known = None
        for item in current:
            if _key(item) not in wanted_by_key:
                db.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
            elif wanted_by_key[_key(item)] == item:
                del wanted_by_key[_key(item)]
        for item in wanted_by_key.values():
            db.put_item(TableName=table, Item=item)


@pytest.fixture(scope="module")
def bed() -> Iterator[Bed]:
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(runtime, "clock", FrozenClock())
        aws = _fresh_aws()
        try:
            yield Bed(seeded_world(next(aws)))
        finally:
            aws.close()


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's retries without their sleeps: the attempts and the retry logic stay real."""
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    """No case leaves its (hooked) clients behind for the next."""
    yield
    runtime.store.cache_clear()
    runtime.code_outbox.cache_clear()
