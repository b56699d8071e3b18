"""The outbox port: events for the tenant's systems (a mail to send), put on a bus after a write."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """Something the tenant's systems must act on (a mail to send), put on the outbox.

    ``detail`` may carry a secret (a code) for the mailer: it is never logged. ``log_fields`` say,
    without secrets, what the event was about.
    """

    detail_type: str
    detail: Mapping[str, Any] = field(repr=False)
    log_fields: Mapping[str, Any] = field(default_factory=dict)


class EventOutbox(Protocol):
    def publish(self, event: OutboxEvent) -> None:
        """Hand the event over; ``Unavailable`` if it could not be."""
