"""What an application is stored as: its client and its refresh tokens."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AppClient:
    client_id: str
    name: str
    tenant_id: int
    site_id: int | None
    behaviors: frozenset[str]
    secret_digest: str
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class AppRefreshToken:
    digest: str
    client_id: str
    expires_at: datetime
    legacy_ticket: bool = False
    """Minted by Kibo's older app ticket (``authtickets``): it renews alone at ``refresh-ticket``.
    The OAuth route's tokens renew only with the client's secret beside them."""
