"""The application making a request, as proven by its app token."""

from dataclasses import dataclass

from .behaviors import Behavior
from .errors import Forbidden


@dataclass(frozen=True, slots=True)
class Caller:
    client_id: str
    tenant_id: int
    site_id: int | None
    behaviors: frozenset[str]

    def require(self, behavior: Behavior) -> None:
        """Raise ``Forbidden`` unless the caller holds ``behavior``."""
        if behavior.value not in self.behaviors:
            raise Forbidden(f"The application lacks the behavior {behavior.value}.")
