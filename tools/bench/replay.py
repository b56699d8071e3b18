"""Recording what AWS answers a request once, and answering it again at no cost.

Both work on botocore's own event hooks, per client: the recorder reads ``before-parameter-build``
(the call's parameters) and ``after-call`` (the parsed answer); the replayer answers
``before-call``, as botocore's ``Stubber`` does. A replayed call still validates and serializes
its parameters (as every real call does), but sends nothing and parses nothing.
"""

import copy
import hashlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders


@dataclass(frozen=True)
class Call:
    """One AWS API call a request made: its parameters and what AWS answered."""

    service: str
    operation: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "operation": self.operation,
            "status": self.status,
            "response": self.response,
        }


class ReplayMismatch(AssertionError):
    """A replayed request made another call than the recorded one: the figures would be wrong."""


def _service(model: Any) -> str:
    name: str = model.service_model.service_name
    return name


@dataclass
class Recorder:
    """Records every call of the clients it is attached to while ``active``."""

    active: bool = False
    calls: list[Call] = field(default_factory=list)
    _pending: deque[dict[str, Any]] = field(default_factory=deque)

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build", self._params, unique_id="bench-recorder-params")
        events.register("after-call", self._answer, unique_id="bench-recorder-answer")

    def start(self) -> None:
        self.calls, self._pending, self.active = [], deque(), True

    def stop(self) -> list[Call]:
        self.active = False
        return self.calls

    def _params(self, params: dict[str, Any], **_: Any) -> None:
        if self.active:
            self._pending.append(copy.deepcopy(params))

    def _answer(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.active:
            self.calls.append(
                Call(
                    service=_service(model),
                    operation=model.name,
                    params=self._pending.popleft() if self._pending else {},
                    status=int(http_response.status_code),
                    response=copy.deepcopy(parsed),
                )
            )


@dataclass
class Replayer:
    """Answers calls from a loaded queue of recorded answers while ``active``; a call that does
    not match the next recorded one raises ``ReplayMismatch``."""

    active: bool = False
    _queue: deque[tuple[str, str, int, dict[str, Any]]] = field(default_factory=deque)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call", self._answer, unique_id="bench-replayer")

    def load(self, calls: list[Call]) -> None:
        """The answers for one request, copied now so that the timed request does not pay for it
        (a real answer is a fresh dict the caller may keep)."""
        self._queue = deque(
            (call.service, call.operation, call.status, copy.deepcopy(call.response)) for call in calls
        )
        self.active = True

    def drained(self) -> None:
        if self._queue:
            left = [f"{service}.{operation}" for service, operation, _, _ in self._queue]
            raise ReplayMismatch(f"the request made fewer calls than recorded; left over: {left}")

    def _answer(self, model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not self.active:
            return None
        called = f"{_service(model)}.{model.name}"
        if not self._queue:
            raise ReplayMismatch(f"the request made a call that was not recorded: {called}")
        service, operation, status, response = self._queue.popleft()
        if (service, operation) != (_service(model), model.name):
            raise ReplayMismatch(f"the request called {called} where {service}.{operation} was recorded")
        return AWSResponse("https://replayed.invalid", status, HTTPHeaders(), None), response


class FakeHasher:
    """A password hasher at no cost (a SHA-256), so that warm figures leave hashing out: the
    bench times Argon2id on its own."""

    def __init__(self) -> None:
        self.operations = 0

    def hash(self, password: str) -> str:
        self.operations += 1
        return "bench$" + hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest()

    def verify(self, password: str, stored_hash: str, *, external: bool, padded: bool = True) -> bool:
        self.operations += 1
        digest = hashlib.sha256(password.encode("utf-8", "surrogatepass")).hexdigest()
        return stored_hash == "bench$" + digest

    def needs_rehash(self, stored_hash: str) -> bool:
        return False

    def verify_dummy(self, password: str) -> None:
        self.operations += 1
