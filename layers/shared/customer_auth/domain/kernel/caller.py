"""The application making a request, as proven by its app token."""

from dataclasses import dataclass

from .behaviors import Behavior
from .errors import Forbidden


@dataclass(frozen=True, slots=True)
class Caller:
    client_id: str
    tenant_id: int
    site_id: int | None
    """The site the request acts in: the client's own, or the ``x-vol-site`` a tenant-wide client
    sent; ``None``, the whole tenant. A caller with a site acts only on that site's sessions."""
    behaviors: frozenset[str]
    tenant_sites: frozenset[int] = frozenset()
    """The tenant's sites when the app token was minted: the only sites a request may name."""

    def acts_on_site_of(self, session_site_id: int | None) -> bool:
        """Whether a session begun in ``session_site_id`` is within this caller's reach."""
        return self.site_id is None or self.site_id == session_site_id

    def require(self, behavior: Behavior) -> None:
        """Raise ``Forbidden`` unless the caller holds ``behavior``."""
        if behavior.value not in self.behaviors:
            raise Forbidden(f"The application lacks the behavior {behavior.value}.")
