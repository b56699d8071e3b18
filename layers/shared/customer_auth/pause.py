"""Deliberate waits: an answer held to a floor so that its timing tells nothing (a password check
padded to its floor, a recovery or passwordless answer held to ``RECOVERY_ANSWER_MS``).

In Lambda a wait is a sleep, and other environments serve other shoppers meanwhile. The local
server runs one invocation at a time, so it replaces ``sleep`` with a wait during which another
invocation may run, as another environment would (``tools.local_api.router``).
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

sleep: Callable[[float], None] = time.sleep
"""How a deliberate wait is spent; looked up at each wait, so a replacement takes effect at once."""


@contextmanager
def no_sooner_than(seconds: float) -> Iterator[None]:
    """Return (or raise) no sooner than ``seconds`` after entering; what took longer returns at once."""
    deadline = time.monotonic() + seconds
    try:
        yield
    finally:
        left = deadline - time.monotonic()
        if left > 0:
            sleep(left)
