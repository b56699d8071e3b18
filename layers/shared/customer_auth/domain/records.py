"""What the domain keeps between requests, independent of how the store lays it out."""

import hashlib
import hmac
import math
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Self

from ..models.account import CustomerAccount
from .tenants import TRUSTED_KEPT, SignInPolicy, Tenant

NO_ACCOUNT = 0
"""Account ids start at 1, so no login or account is ever found under this one: reading it costs
what reading a real one does and finds nothing, and an anonymous shopper's session is filed under it."""

CODE_LIFE = timedelta(minutes=3)
CODE_TRIES = 3
CODE_REQUEST_GAP = timedelta(seconds=30)
CODE_REQUESTS_PER_HOUR = 5


def fingerprint_digest(user_id: str, fingerprint: str) -> str:
    """A device fingerprint as the login keeps it: keyed by the user, so equal fingerprints of
    different shoppers are stored differently and the digests cannot be looked up in bulk."""
    return hmac.new(user_id.encode("utf-8"), fingerprint.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Device:
    """Where a sign-in comes from, as a login remembers it: the fingerprint only as a digest."""

    fingerprint_digest: str | None
    region: str | None

    @classmethod
    def of(cls, user_id: str, fingerprint: str | None, region: str | None) -> "Device":
        """The device a request names; empty values name nothing."""
        fingerprint, region = (fingerprint or "").strip(), (region or "").strip().casefold()
        return cls(fingerprint_digest(user_id, fingerprint) if fingerprint else None, region or None)


UNKNOWN_DEVICE = Device(None, None)
"""A client that names no fingerprint: the password-change routes, which the storefront's app calls."""


@dataclass(frozen=True, slots=True)
class FailureCount:
    """Consecutive failed password checks from one kind of client, and the lock they led to. A
    login keeps one for every client it does not trust and one per trusted fingerprint."""

    failed_attempts: int = 0
    first_failed_at: datetime | None = None
    locks: int = 0
    """Locks since this count's last success; each doubles the next cooldown."""
    locked_until: datetime | None = None

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def counted(self, now: datetime) -> int:
        """Failures that still count: a lock that has run out starts a fresh count."""
        if self.locked_until is not None and now >= self.locked_until:
            return 0
        return self.failed_attempts

    def after_failure(self, now: datetime, policy: SignInPolicy) -> "FailureCount":
        """One more failure; the limit locks for a cooldown that doubles on repeat, up to the cap."""
        failures = self.counted(now) + 1
        ran_out = self.locked_until is not None and now >= self.locked_until
        if failures >= policy.max_failed_attempts:
            until = now + timedelta(minutes=policy.lockout_for(self.locks))
            return FailureCount(
                failures, self.first_failed_at if failures > 1 else now, self.locks + 1, until
            )
        return FailureCount(
            failures,
            self.first_failed_at if failures > 1 else now,
            self.locks,
            None if ran_out else self.locked_until,
        )

    def forgiven(self) -> "FailureCount":
        """The failures forgotten, a running lock and the lock history kept (a password change)."""
        return replace(self, failed_attempts=0, first_failed_at=None)

    def is_clear(self) -> bool:
        return self == FailureCount()


@dataclass(frozen=True, slots=True)
class DeviceFailures:
    """The failure count of one trusted fingerprint, named by its digest (never the fingerprint)."""

    fingerprint_digest: str
    count: FailureCount


@dataclass(frozen=True, slots=True)
class StoredAccount:
    """An account document and the version that guards concurrent updates."""

    tenant_id: int
    account: CustomerAccount
    version: int


@dataclass(frozen=True, slots=True)
class AccountChange:
    """An account document replaced, if it is still at ``before``'s version."""

    before: StoredAccount
    after: CustomerAccount


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    """An account replaced and, when it has a login whose email or username changed, the login
    with its identifier reservations moved: one atomic write."""

    account: "AccountChange"
    login_before: "Login | None" = None
    login_after: "Login | None" = None


@dataclass(frozen=True, slots=True)
class Login:
    """A customer's login: its identifiers, credential and trusted devices."""

    tenant_id: int
    account_id: int
    user_id: str
    username: str
    email: str | None
    password_hash: str = field(repr=False)
    password_is_external: bool
    created_at: datetime
    trusted_fingerprint_digests: tuple[str, ...] = ()
    trusted_regions: tuple[str, ...] = ()
    version: int = 1
    """Guards every update: a login is replaced only if nobody changed it since it was read."""
    generation: int = 0
    """Sessions are live only while theirs matches; raising it revokes every session at once."""
    failed_attempts: int = 0
    first_failed_at: datetime | None = None
    locks: int = 0
    """Locks of untrusted clients since their last success; each doubles the next cooldown."""
    locked_until: datetime | None = None
    locked_by_operator: bool = False
    device_failures: tuple[DeviceFailures, ...] = ()
    """The failure counts of trusted fingerprints; ``failed_attempts`` to ``locked_until`` above
    count every other client. Only trusted fingerprints have one, so there are at most
    ``TRUSTED_KEPT``."""
    last_locked_at: datetime | None = None
    last_login_at: datetime | None = None
    password_changed_at: datetime | None = None
    updated_at: datetime | None = None
    last_2fa_at: datetime | None = None
    password_change_required: bool = False
    """Set by the storefront's app: sign-in with the right password is refused until a change."""
    deleted_at: datetime | None = None
    """Set by the first step of a Delete account: from then on nothing can use the login, and no
    lock change or password change brings it back."""

    def knows_fingerprint(self, device: Device) -> bool:
        return (
            device.fingerprint_digest is not None
            and device.fingerprint_digest in self.trusted_fingerprint_digests
        )

    def knows_region(self, device: Device) -> bool:
        return device.region is not None and device.region in self.trusted_regions

    def trusting(self, device: Device) -> "Login":
        """The device's fingerprint and region trusted as the newest; past ``TRUSTED_KEPT``, the
        oldest are forgotten, and with them their failure counts."""
        digests = _newest_last(self.trusted_fingerprint_digests, device.fingerprint_digest)
        return replace(
            self,
            trusted_fingerprint_digests=digests,
            trusted_regions=_newest_last(self.trusted_regions, device.region),
            device_failures=tuple(d for d in self.device_failures if d.fingerprint_digest in digests),
        )

    def after_second_factor(self, device: Device, now: datetime) -> "Login":
        """A completed two-factor sign-in: the device trusted, the time stamped."""
        return replace(self.trusting(device), last_2fa_at=now, last_login_at=now)._touched(now)

    # -- lockout: one count for untrusted clients, one per trusted fingerprint ---------------------
    @property
    def untrusted_failures(self) -> FailureCount:
        return FailureCount(self.failed_attempts, self.first_failed_at, self.locks, self.locked_until)

    def failures_of(self, device: Device) -> FailureCount:
        """The count a password check from ``device`` is held to: its own if the login trusts its
        fingerprint, else the one all untrusted clients share."""
        if not self.knows_fingerprint(device):
            return self.untrusted_failures
        for kept in self.device_failures:
            if kept.fingerprint_digest == device.fingerprint_digest:
                return kept.count
        return FailureCount()

    def is_locked_for(self, device: Device, now: datetime) -> bool:
        """Whether a password check from ``device`` is refused unseen: a login being deleted or an
        operator's lock stops every device, a cooldown only the clients its count is kept for."""
        return (
            self.deleted_at is not None or self.locked_by_operator or self.failures_of(device).is_locked(now)
        )

    def is_locked(self, now: datetime) -> bool:
        """Locked for a client the login does not trust (what a new device meets)."""
        return self.is_locked_for(UNKNOWN_DEVICE, now)

    def failures_counted(self, now: datetime) -> int:
        """Consecutive failures of untrusted clients that still count."""
        return self.untrusted_failures.counted(now)

    def locked_trusted_devices(self, now: datetime) -> int:
        return sum(1 for kept in self.device_failures if kept.count.is_locked(now))

    def after_failure(self, device: Device, now: datetime, policy: SignInPolicy) -> "Login":
        """One more failed password check from ``device``, counted against its count alone."""
        before = self.failures_of(device)
        after = before.after_failure(now, policy)
        changed = self._with_failures(device, after)
        if after.locks > before.locks:
            changed = replace(changed, last_locked_at=now)
        return changed._touched(now)

    def after_sign_in(
        self, device: Device, now: datetime, password_hash: str | None, *, complete: bool = True
    ) -> "Login":
        """A right password from ``device``: its count cleared (not the others: a customer's
        success does not hand an attacker fresh guesses), the hash upgraded when ``password_hash``
        is given. The sign-in counts as a login unless it must wait for its second factor
        (``complete``)."""
        return replace(
            self._with_failures(device, FailureCount()),
            last_login_at=now if complete else self.last_login_at,
            password_hash=password_hash or self.password_hash,
            password_is_external=self.password_is_external and password_hash is None,
        )._touched(now)

    def _with_failures(self, device: Device, count: FailureCount) -> "Login":
        if not self.knows_fingerprint(device):
            return self._with_untrusted(count)
        digest = device.fingerprint_digest or ""
        others = tuple(d for d in self.device_failures if d.fingerprint_digest != digest)
        kept = others if count.is_clear() else (*others, DeviceFailures(digest, count))
        return replace(self, device_failures=kept)

    def _with_untrusted(self, count: FailureCount) -> "Login":
        return replace(
            self,
            failed_attempts=count.failed_attempts,
            first_failed_at=count.first_failed_at,
            locks=count.locks,
            locked_until=count.locked_until,
        )

    def with_password(self, password_hash: str, now: datetime, *, unlock: bool) -> "Login":
        """A changed password: every session revoked; the lock lifted if asked."""
        changed = replace(
            self._with_untrusted(self.untrusted_failures.forgiven()),
            password_hash=password_hash,
            password_is_external=False,
            password_changed_at=now,
            password_change_required=False,
            device_failures=tuple(
                replace(d, count=d.count.forgiven())
                for d in self.device_failures
                if not d.count.forgiven().is_clear()
            ),
            generation=self.generation + 1,
        )
        return (changed._unlocked() if unlock else changed)._touched(now)

    def with_imported_hash(self, external_hash: str, now: datetime, *, unlock: bool) -> "Login":
        """A hash imported from another system (verified at the next sign-in): like a changed
        password, every session revoked."""
        changed = self.with_password(external_hash, now, unlock=unlock)
        return replace(changed, password_is_external=True)

    def recovered(self, password_hash: str, now: datetime) -> "Login":
        """A password set with a recovery code: every session revoked, the failures and cooldowns
        of every device forgotten; an operator's lock stays."""
        changed = self.with_password(password_hash, now, unlock=False)
        return replace(changed._with_untrusted(FailureCount()), device_failures=())

    def change_required(self, now: datetime, *, required: bool) -> "Login":
        """The storefront's app requires (or no longer requires) a password change."""
        return replace(self, password_change_required=required)._touched(now)

    def locked(self, now: datetime, *, locked: bool) -> "Login":
        """An operator's lock (which revokes every session) or unlock."""
        if locked:
            return replace(
                self, locked_by_operator=True, last_locked_at=now, generation=self.generation + 1
            )._touched(now)
        return self._unlocked()._touched(now)

    def revoked(self, now: datetime) -> "Login":
        """Every session of the login ended (global log out)."""
        return replace(self, generation=self.generation + 1)._touched(now)

    def renamed(self, email: str | None, username: str, now: datetime) -> "Login":
        """The login's identifiers changed with its account's (Update account)."""
        return replace(self, email=email, username=username)._touched(now)

    def deleting(self, now: datetime) -> "Login":
        """The first step of a delete: every session ended and the login unusable, in one write."""
        return replace(self, generation=self.generation + 1, deleted_at=now)._touched(now)

    def _unlocked(self) -> "Login":
        return replace(self._with_untrusted(FailureCount()), locked_by_operator=False, device_failures=())

    def _touched(self, now: datetime) -> "Login":
        return replace(self, version=self.version + 1, updated_at=now)

    def identifiers(self) -> dict[str, str]:
        """Normalized identifier -> the request field it came from; one entry when they coincide."""
        found: dict[str, str] = {}
        if self.email is not None:
            found[normalize_identifier(self.email)] = "emailAddress"
        found.setdefault(normalize_identifier(self.username), "username")
        return found


def _newest_last(kept: tuple[str, ...], value: str | None) -> tuple[str, ...]:
    if value is None:
        return kept
    return (*(v for v in kept if v != value), value)[-TRUSTED_KEPT:]


def account_in_step(stored: StoredAccount, login: Login, now: datetime) -> AccountChange | None:
    """The account's ``isLocked`` and ``hasExternalPassword`` brought in step with its login, if
    they differ: the login is the truth, the account document shows it."""
    account = stored.account
    flags = {"is_locked": login.locked_by_operator, "has_external_password": login.password_is_external}
    if all(getattr(account, name) == value for name, value in flags.items()):
        return None
    audit = account.audit_info.model_copy(update={"update_date": now})
    return AccountChange(stored, account.model_copy(update={**flags, "audit_info": audit}))


def normalize_identifier(value: str) -> str:
    """The form in which usernames and emails are unique and looked up: NFKC, case-folded, NFKC
    again (case folding can denormalize), trimmed. Canonically equivalent spellings (composed
    ``é`` and ``e`` + U+0301) and compatibility ones (fullwidth ``ａｄｍｉｎ``, ligatures) become
    one identifier, as RFC 8265's UsernameCaseMapped profile and UTS #39's skeletons intend.
    Zero-width and bidi controls are refused before this (``identity.checked_username``)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return folded.strip()


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


REQUEST_WINDOW = timedelta(hours=1)
"""How long a code request counts against the hourly limit (two-factor and one-time codes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeLife:
    """What a stored code keeps besides its digest: when it ends, the tries it has left, the
    requests of the last hour (its rate limit) and the version that guards its writes."""

    code_expires_at: datetime | None = None
    tries_left: int = 0
    requested_at: tuple[datetime, ...] = ()
    """Code requests in the last hour, oldest first."""
    version: int = 0
    """0 while nothing is stored."""

    def recent_requests(self, now: datetime) -> tuple[datetime, ...]:
        """The code requests that still count against the hourly limit, oldest first."""
        return tuple(t for t in self.requested_at if now < t + REQUEST_WINDOW)

    def _seconds_before_another(self, now: datetime, gap: timedelta, per_hour: int) -> int:
        """How long before another code may be issued (0: now): at most one per ``gap`` and
        ``per_hour`` in any hour."""
        recent = self.recent_requests(now)
        if recent and now < recent[-1] + gap:
            return math.ceil((recent[-1] + gap - now).total_seconds())
        if len(recent) >= per_hour:
            return math.ceil((recent[0] + REQUEST_WINDOW - now).total_seconds())
        return 0

    def _tried(self, *spent: str) -> Self:
        """One try spent; with the last, the fields ``spent`` names (the code's digest) go too."""
        left = self.tries_left - 1
        changes: dict[str, Any] = {"tries_left": left, "version": self.version + 1}
        if left <= 0:
            changes.update(dict.fromkeys(spent))
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class CodeChallenge(CodeLife):
    """A login's one-time code for two-factor sign-in, and its request history (rate limit).

    One per login: a new code replaces the last. The code is kept only as a digest keyed by the
    session it was issued to, which alone may use it.
    """

    tenant_id: int
    account_id: int
    sid: str | None = None
    code_digest: str | None = field(default=None, repr=False)

    @property
    def expires_at(self) -> datetime | None:
        """When the item may go: an hour after the last request, when the rate limit forgets it."""
        return self.requested_at[-1] + REQUEST_WINDOW if self.requested_at else None

    def seconds_to_wait(self, now: datetime) -> int:
        """How long before another code may be requested: one per 30 s, five per hour."""
        return self._seconds_before_another(now, CODE_REQUEST_GAP, CODE_REQUESTS_PER_HOUR)

    def issued(self, sid: str, code_digest: str, now: datetime) -> "CodeChallenge":
        return replace(
            self,
            sid=sid,
            code_digest=code_digest,
            code_expires_at=now + CODE_LIFE,
            tries_left=CODE_TRIES,
            requested_at=(*self.recent_requests(now), now),
            version=self.version + 1,
        )

    def is_open_to(self, sid: str, now: datetime) -> bool:
        """Whether the session ``sid`` holds a code that may still be tried."""
        return (
            self.code_digest is not None
            and self.sid == sid
            and self.code_expires_at is not None
            and now < self.code_expires_at
            and self.tries_left > 0
        )

    def after_wrong_try(self) -> "CodeChallenge":
        """One try spent; the last one spends the code."""
        return self._tried("code_digest")

    def used(self) -> "CodeChallenge":
        return replace(self, code_digest=None, tries_left=0, version=self.version + 1)


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


@dataclass(frozen=True, slots=True)
class NewLogin:
    """Everything Create-Login writes in one atomic step."""

    login: Login
    account_before: StoredAccount | None
    """``None`` when the account is created in the same write (Add-Account-And-Login)."""
    account_after: CustomerAccount
    session: Session
    refresh_token: RefreshToken
    identifier_fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SecondFactorPassed:
    """Everything a correct code writes in one atomic step: the waiting session replaced by a full
    one, the code spent, the device trusted, the account's ``last2FaDate`` stamped."""

    waiting: Session
    challenge_before: CodeChallenge
    challenge_after: CodeChallenge
    login_before: Login
    login_after: Login
    account: AccountChange
    session: Session
    refresh_token: RefreshToken


@dataclass(frozen=True, slots=True)
class LoginContext:
    """An account, its login and its tenant, read together: what Create-Login, sign-in, password
    changes and lock changes decide on."""

    account: StoredAccount | None
    login: Login | None
    tenant: Tenant | None
