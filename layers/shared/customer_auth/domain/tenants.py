"""Tenants, their sites and the token policy they set for their shoppers."""

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import TYPE_CHECKING

from .caller import Caller
from .errors import Forbidden, InvalidParameter, NotFound

if TYPE_CHECKING:
    from .ports import TenantStore

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


LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
"""A BCP 47 tag's shape (``en``, ``de``, ``pt-BR``): the mail templates' folder names."""


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How the tenant's emails (codes and security notices) look and whom they come from; a field
    left out takes the deployment's default (sender), the tenant's name (shop name), no link, or
    English."""

    sender: str | None = None
    """The From address, ``shop@example.com`` or ``Shop <shop@example.com>``: an SES identity."""
    shop_name: str | None = None
    link_base: str | None = None
    """The shop's own page the emails link to (a sign-in or account page); codes never go in it."""
    locale: str | None = None
    """The templates' language (``de``, ``pt-BR``); a template missing in it is sent in English."""

    def __post_init__(self) -> None:
        for name, value in (
            ("sender", self.sender),
            ("shopName", self.shop_name),
            ("linkBase", self.link_base),
        ):
            if value is not None and (not value.strip() or any(c in value for c in "\r\n\0")):
                raise InvalidParameter(f"mail {name} must be one non-empty line.", field=name)
        if self.sender is not None and not _address(self.sender):
            raise InvalidParameter(
                "mail sender must be an address (Shop <shop@example.com>).", field="sender"
            )
        if self.link_base is not None and not self.link_base.startswith(("https://", "http://")):
            raise InvalidParameter("mail linkBase must be an http(s) URL.", field="linkBase")
        if self.locale is not None and not LOCALE.fullmatch(self.locale):
            raise InvalidParameter("mail locale must be a language tag such as en or pt-BR.", field="locale")


def _address(sender: str) -> bool:
    _, address = parseaddr(sender)
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain)


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
    sign_in_policy: SignInPolicy = field(default_factory=SignInPolicy)
    two_factor_policy: TwoFactorPolicy = field(default_factory=TwoFactorPolicy)
    mail: MailSettings | None = None
    """None: every mail setting takes its default."""

    def has_site(self, site_id: int) -> bool:
        return any(site.id == site_id for site in self.sites)


class TenantService:
    """What an app may read of its own tenant (Kibo's SDK looks its sites up)."""

    def __init__(self, store: "TenantStore") -> None:
        self._store = store

    def tenant(self, caller: Caller, tenant_id: int) -> Tenant:
        """The caller's own tenant; 403 for another one, 404 when it is not provisioned."""
        if tenant_id != caller.tenant_id:
            raise Forbidden("The application token is not valid for this tenant.")
        tenant = self._store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound(f"Tenant {tenant_id} was not found.", field="tenantId")
        return tenant


def usable_tenant(tenant: Tenant | None, site_id: int | None) -> Tenant:
    """The caller's tenant, provisioned and owning the request's site; 403 otherwise."""
    if tenant is None:
        raise Forbidden("The caller's tenant is not provisioned.")
    if site_id is not None and not tenant.has_site(site_id):
        raise Forbidden(f"Site {site_id} does not belong to the tenant.")
    return tenant
