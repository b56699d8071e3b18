"""Tenants, their sites and the token policy they set for their shoppers."""

from dataclasses import dataclass, field

from .errors import InvalidParameter

PLATFORM_MAX_ACCESS_MINUTES = 24 * 60
"""Hard cap on a shopper access token's life, whatever a tenant asks (one day)."""

PLATFORM_MAX_REFRESH_MINUTES = 365 * 24 * 60
"""Hard cap on a refresh family's absolute life (one year)."""


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    access_default_minutes: int = 60
    access_max_minutes: int = 24 * 60
    refresh_default_minutes: int = 30 * 24 * 60
    refresh_max_minutes: int = 90 * 24 * 60

    def __post_init__(self) -> None:
        for name, default, maximum, cap in (
            ("access", self.access_default_minutes, self.access_max_minutes, PLATFORM_MAX_ACCESS_MINUTES),
            ("refresh", self.refresh_default_minutes, self.refresh_max_minutes, PLATFORM_MAX_REFRESH_MINUTES),
        ):
            if not 0 < default <= maximum <= cap:
                raise InvalidParameter(
                    f"The {name} token policy needs 0 < default ({default}) <= maximum ({maximum}) "
                    f"<= platform cap ({cap}) minutes.",
                    field=f"{name}MaxMinutes",
                )

    def access_minutes(self, requested: int | None) -> int:
        """The access-token life to grant for a request (``None``: the tenant default)."""
        return _granted(
            requested,
            self.access_default_minutes,
            self.access_max_minutes,
            PLATFORM_MAX_ACCESS_MINUTES,
            "authTicketTtlMinutes",
        )

    def refresh_minutes(self, requested: int | None) -> int:
        """The refresh-family life to grant for a request (``None``: the tenant default)."""
        return _granted(
            requested,
            self.refresh_default_minutes,
            self.refresh_max_minutes,
            PLATFORM_MAX_REFRESH_MINUTES,
            "refreshTokenTtlMinutes",
        )


def _granted(requested: int | None, default: int, tenant_max: int, platform_max: int, name: str) -> int:
    if requested is None:
        return default
    if requested <= 0:
        raise InvalidParameter(f"{name} must be a positive number of minutes.", field=name)
    if requested > platform_max:
        raise InvalidParameter(f"{name} exceeds the platform maximum of {platform_max} minutes.", field=name)
    if requested > tenant_max:
        raise InvalidParameter(f"{name} exceeds the tenant maximum of {tenant_max} minutes.", field=name)
    return requested


@dataclass(frozen=True, slots=True)
class Site:
    id: int
    name: str
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class Tenant:
    id: int
    name: str
    domain: str | None = None
    sites: tuple[Site, ...] = ()
    token_policy: TokenPolicy = field(default_factory=TokenPolicy)

    def has_site(self, site_id: int) -> bool:
        return any(site.id == site_id for site in self.sites)
