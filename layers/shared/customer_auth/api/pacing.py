"""Answers that take a fixed time, so their timing cannot tell what happened inside.

Reset-Password reads, writes and publishes the same for a known login, an unknown one and one that
asked too often, but a found login's items are still longer to read and decode than absent ones
(about 9 ms against moto). Holding every answer to a floor above all of them hides that; the
passwordless routes and Update-Forgotten-Password are held to the same floor.
"""

from contextlib import AbstractContextManager

from ..pause import no_sooner_than
from .settings import settings


def answer_floor() -> AbstractContextManager[None]:
    """The block answers no sooner than ``RECOVERY_ANSWER_MS`` after it began."""
    return no_sooner_than(settings().recovery_answer_ms / 1000)
