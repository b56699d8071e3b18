"""What the domain keeps between requests, independent of how the store lays it out."""

from dataclasses import dataclass, field
from datetime import datetime

from ..models.account import CustomerAccount
from .tenants import Tenant


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """An account document and the version that guards concurrent updates."""

    tenant_id: int
    account: CustomerAccount
    version: int


@dataclass(frozen=True, slots=True)
class Login:
    """A customer's login: its identifiers, credential and trusted devices."""

    tenant_id: int
    account_id: int
    user_id: str
    username: str
    email: str | None
    password_hash: str
    password_is_external: bool
    created_at: datetime
    trusted_fingerprint_digests: tuple[str, ...] = ()
    trusted_regions: tuple[str, ...] = ()

    def identifiers(self) -> dict[str, str]:
        """Normalized identifier -> the request field it came from; one entry when they coincide."""
        found: dict[str, str] = {}
        if self.email is not None:
            found[normalize_identifier(self.email)] = "emailAddress"
        found.setdefault(normalize_identifier(self.username), "username")
        return found


def normalize_identifier(value: str) -> str:
    """The form in which usernames and emails are unique: trimmed and case-folded."""
    return value.strip().casefold()


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in session: one refresh family and the access tokens minted for it."""

    sid: str
    tenant_id: int
    site_id: int | None
    account_id: int
    user_id: str
    client_id: str
    created_at: datetime
    access_token_digest: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    """The family's absolute end: rotation never moves it."""


@dataclass(frozen=True, slots=True)
class RefreshToken:
    digest: str
    sid: str
    tenant_id: int
    account_id: int
    expires_at: datetime


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


@dataclass(frozen=True, slots=True)
class NewLogin:
    """Everything Create-Login writes in one atomic step."""

    login: Login
    account_before: StoredAccount
    account_after: CustomerAccount
    session: Session
    refresh_token: RefreshToken
    identifier_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LoginContext:
    """What Create-Login reads before it writes."""

    account: StoredAccount | None
    has_login: bool
    tenant: Tenant | None
