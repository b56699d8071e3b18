"""Races between Lambda environments, run as threads against one moto-backed store.

One Lambda environment handles one event at a time (powertools keeps the current event in
class-level state), so the races run where concurrency is real in production, between
environments: each thread calls a service (what the handler calls after its checks).
"""

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from customer_auth.api import runtime
from tests.support.fixtures import World


def race[T](calls: list[Callable[[], T]]) -> list[T]:
    """Run ``calls`` on as many threads, released together; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


class SerializedClient:
    """The store's DynamoDB client with one call at a time, as DynamoDB serializes transactions.

    moto's in-process backend is not thread-safe; the lock keeps its dictionaries consistent while
    every racer still reads, decides and writes on its own, so the races stay real. Two worst
    interleavings can be arranged: ``hold_transactions_until`` (every read before any transaction)
    and ``in_lockstep`` (rounds of writes in which every racer still trying has read first).
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._writers: threading.Barrier | None = None
        self._rounds: list[threading.Barrier] | None = None
        self._writes = threading.local()
        self._written: Counter[int] = Counter()
        self._round_done = threading.Condition()
        self.transactions = 0
        self.writes_last: str | None = None
        """The name of a racing thread whose write in each round waits for everyone else's."""

    def hold_transactions_until(self, parties: int) -> None:
        """Let no transaction start before ``parties`` are waiting: every read precedes every write."""
        self._writers = threading.Barrier(parties)

    def release(self) -> None:
        """Let transactions run freely again (after the race)."""
        self._writers = None

    def in_lockstep(self, racers: int) -> None:
        """In every round of writes, each racer still trying has read the item before any of them
        writes, so exactly one conditional write per round succeeds."""
        self._rounds = [threading.Barrier(racers - n) for n in range(racers)]
        self._written.clear()

    def put_item(self, **kwargs: Any) -> Any:
        return self._in_round(self._client.put_item, kwargs)

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self._writers is not None:
            self._writers.wait(timeout=10)
        return self._in_round(self._client.transact_write_items, kwargs, transaction=True)

    def _in_round(self, write: Callable[..., Any], kwargs: dict[str, Any], transaction: bool = False) -> Any:
        attempt = getattr(self._writes, "count", 0)
        self._await_round()
        try:
            with self._lock:
                self.transactions += transaction
                return write(**kwargs)
        finally:
            if self._racing():
                with self._round_done:
                    self._written[attempt] += 1
                    self._round_done.notify_all()

    def _racing(self) -> bool:
        # The test's own thread, which checks the outcome afterwards, is not a racer.
        return self._rounds is not None and threading.current_thread() is not threading.main_thread()

    def _await_round(self) -> None:
        """Each racer's n-th write waits until every racer still trying makes its n-th write."""
        if not self._racing():
            return
        assert self._rounds is not None
        attempt = getattr(self._writes, "count", 0)
        self._writes.count = attempt + 1
        parties = self._rounds[attempt].parties
        self._rounds[attempt].wait(timeout=10)
        if threading.current_thread().name == self.writes_last:
            with self._round_done:
                self._round_done.wait_for(lambda: self._written[attempt] >= parties - 1, timeout=10)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return locked


@pytest.fixture
def serialized_dynamodb(world: World, monkeypatch: pytest.MonkeyPatch) -> SerializedClient:
    store = runtime.store()
    client = SerializedClient(store._db)
    monkeypatch.setattr(store, "_db", client)
    return client
