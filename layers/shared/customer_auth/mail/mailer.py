"""The mailer: an outbox event in, one email out (or a reason not to send one)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.tenants.tenant import Tenant
from .compose import compose
from .transports import Transport


@dataclass(frozen=True, slots=True)
class Sent:
    """What a log line may say of a sent email: no address, no code."""

    detail_type: str
    message_id: str
    locale: str


class Mailer:
    def __init__(
        self,
        tenants: Callable[[int], Tenant | None],
        transports: Sequence[Transport],
        default_sender: str | None,
    ) -> None:
        """``tenants`` finds a tenant's mail settings; every transport gets each email (the first
        one's id is the message id)."""
        self._tenants = tenants
        self._transports = transports
        self._default_sender = default_sender

    def send(self, detail_type: str, detail: Mapping[str, Any], *, event_id: str, now: datetime) -> Sent:
        """Render and send the event's email. ``compose.Skip`` when there is nothing to send;
        ``compose.NoSender``, a transport's error or a malformed event otherwise (to retry)."""
        tenant_id = detail.get("tenantId")
        tenant = self._tenants(int(tenant_id)) if isinstance(tenant_id, int) else None
        mail = compose(
            detail_type, detail, tenant, default_sender=self._default_sender, event_id=event_id, now=now
        )
        ids = [transport.send(mail) for transport in self._transports]
        return Sent(detail_type, ids[0], mail.locale)
