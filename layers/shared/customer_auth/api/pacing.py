"""Answers that take a fixed time, so their timing cannot tell what happened inside.

Reset-Password reads, writes and publishes the same for a known login, an unknown one and one that
asked too often, but a found login's items are still longer to read and decode than absent ones
(about 9 ms against moto). Holding every answer to a floor above all of them hides that.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager

from .. import pause


@contextmanager
def no_sooner_than(seconds: float) -> Iterator[None]:
    """Return (or raise) no sooner than ``seconds`` after entering."""
    deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        left = deadline - time.monotonic()
        if left > 0:
            pause.sleep(left)
