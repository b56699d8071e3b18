"""The policies a tenant sets for its shoppers: token lifetimes, sign-in and lockout, two-factor."""

from dataclasses import dataclass

from ..kernel.errors import InvalidParameter

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


TRUSTED_KEPT = 10
"""Trusted fingerprints (and, separately, regions) a login remembers; the oldest is dropped."""


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How a tenant's shoppers sign in: lockout, refresh reuse grace, Kibo's legacy password rule."""

    max_failed_attempts: int = 5
    lockout_minutes: int = 15
    """The first lock's cooldown; each further lock before a successful sign-in doubles it."""
    max_lockout_minutes: int = 15
    """Doubling stops here, so an attacker can never keep a customer out for ever. By default a
    cooldown never exceeds the first one's 15 minutes, as Keycloak (maxWait) and Cognito cap their
    temporary lockouts at minutes; a tenant may allow up to a week."""
    refresh_grace_seconds: int = 10
    """How long a rotated refresh token's immediate parent gets back the same child (0: strict)."""
    require_letter_and_digit: bool = False
    password_reset_minutes: int = 60
    """How long a password-reset confirmation code is good for."""
    passwordless_sign_in: bool = False
    """Whether shoppers may sign in with a code sent to their email (off: both routes answer 404)."""
    new_device_notice: bool = False
    """Whether a sign-in from a fingerprint or region the login does not trust yet emails the
    shopper a notice (``NewDeviceSignIn``)."""

    def __post_init__(self) -> None:
        if not 0 < self.password_reset_minutes <= 24 * 60:
            raise InvalidParameter("passwordResetMinutes must be 1..1440.", field="passwordResetMinutes")
        if not 0 < self.max_failed_attempts <= 100:
            raise InvalidParameter("maxFailedAttempts must be 1..100.", field="maxFailedAttempts")
        if not 0 < self.lockout_minutes <= self.max_lockout_minutes <= 7 * 24 * 60:
            raise InvalidParameter(
                "The lockout needs 0 < lockoutMinutes <= maxLockoutMinutes <= 10080 "
                "(maxLockoutMinutes defaults to 15).",
                field="lockoutMinutes",
            )
        if not 0 <= self.refresh_grace_seconds <= 60:
            raise InvalidParameter("refreshGraceSeconds must be 0..60.", field="refreshGraceSeconds")

    def login_write_rounds(self) -> int:
        """How many fresh reads a write to a login may need. Concurrent failed sign-ins can each
        win a round, but this many of them lock their failure count, after which they stop
        writing; a login has one count for untrusted clients and one per trusted fingerprint (at
        most ``TRUSTED_KEPT``); three more rounds cover everyone else. A round is one read: the
        password is verified once per stored hash."""
        return self.max_failed_attempts * (1 + TRUSTED_KEPT) + 3

    def lockout_for(self, previous_locks: int) -> int:
        """Minutes of the next lock after ``previous_locks`` locks without a successful sign-in."""
        return min(self.lockout_minutes << min(previous_locks, 20), self.max_lockout_minutes)


@dataclass(frozen=True, slots=True)
class TwoFactorPolicy:
    """When a password is not enough (Kibo's three settings; all off: never). Create-Login and
    Add-Account-And-Login never ask; they trust the device they are called from."""

    always: bool = False
    on_new_fingerprint: bool = False
    """Ask unless the sign-in's fingerprint is one the login trusts (no fingerprint: ask)."""
    on_new_region: bool = False
    """Ask unless the sign-in's region is one the login trusts (no region: ask)."""

    def asks(self, *, knows_fingerprint: bool, knows_region: bool) -> bool:
        return (
            self.always
            or (self.on_new_fingerprint and not knows_fingerprint)
            or (self.on_new_region and not knows_region)
        )
