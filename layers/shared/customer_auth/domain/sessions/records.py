"""What a shopper session keeps: the session (its refresh family) and its tokens."""

from dataclasses import dataclass
from datetime import datetime

from ..accounts.records import StoredAccount
from ..codes.challenge import CodeChallenge
from ..logins.devices import Device
from ..logins.login import Login
from ..tenants.tenant import Tenant


@dataclass(frozen=True, slots=True)
class AwaitedSecondFactor:
    """What a session signed in with a password waits for: its device, trusted once the code is
    given, and the refresh life the full session will get."""

    device: Device
    refresh_minutes: int


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
    generation: int = 0
    """The login's generation when the session began; a different one means it was revoked."""
    access_minutes: int = 60
    """The access-token life granted at sign-in, kept for the tokens that refreshes mint."""
    head_digest: str = ""
    """The family's newest refresh token: the only one that may rotate."""
    parent_digest: str | None = None
    """The token the head was rotated from: inside the grace window it gets the head back."""
    rotated_at: datetime | None = None
    sealed_head: str | None = None
    """The head's tokens, encrypted under a key only its parent token yields (never stored)."""
    version: int = 1
    awaiting: AwaitedSecondFactor | None = None
    """Set while the session waits for its second factor: then it is good only for the 2FA routes."""

    @property
    def expires_at(self) -> datetime:
        """When the item may go (its TTL): when the family ends."""
        return self.refresh_expires_at

    def is_live(self, login: Login, now: datetime) -> bool:
        return self.generation == login.generation and now < self.refresh_expires_at

    def is_complete(self) -> bool:
        return self.awaiting is None


@dataclass(frozen=True, slots=True)
class SessionToken:
    """A stored opaque shopper token: its digest, the session it names, and when it expires."""

    digest: str
    sid: str
    tenant_id: int
    account_id: int
    expires_at: datetime


RefreshToken = SessionToken


AccessToken = SessionToken


@dataclass(frozen=True, slots=True)
class SessionContext:
    """Everything a presented shopper token leads to, read in one round trip."""

    session: Session | None
    login: Login | None
    account: StoredAccount | None
    tenant: Tenant | None
    refresh_token: RefreshToken | None = None
    access_token: AccessToken | None = None
    challenge: CodeChallenge | None = None
