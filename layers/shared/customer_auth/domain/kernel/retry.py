"""Optimistic writes: read, decide, write on a condition; when another write got there first, again."""

from types import TracebackType

from .errors import ConcurrentUpdate, Unavailable

ROUNDS = 3
"""Rounds of an optimistic write that names no bound of its own. Every write goes to one shopper's
items, so losing three races in a row is contention better answered with a 503 than a spin."""


class Retry:
    """The rounds of one optimistic write. A round that raises ``ConcurrentUpdate`` (or ``also``)
    starts the next; when ``rounds`` are lost, the service is ``Unavailable``::

        retry = Retry()
        while True:
            with retry:
                ...  # read, decide, write
                return result
    """

    __slots__ = ("_also", "_lost", "_rounds")

    def __init__(self, rounds: int = ROUNDS, *, also: type[Exception] = ConcurrentUpdate) -> None:
        self._rounds, self._also, self._lost = rounds, also, 0

    def at_most(self, rounds: int) -> None:
        """Bound the rounds by what a read showed (a tenant's sign-in policy)."""
        self._rounds = rounds

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> bool:
        if not isinstance(error, (ConcurrentUpdate, self._also)):
            return False
        self._lost += 1
        if self._lost >= self._rounds:
            raise Unavailable(f"an optimistic write lost {self._lost} races in a row") from error
        return True
