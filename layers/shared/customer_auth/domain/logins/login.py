"""A customer's login: one item, replaced whole under its version, so every change below is one
conditional write. Its lockout counts and devices are their own types (``lockout``, ``devices``)."""

from dataclasses import dataclass, field, replace
from datetime import datetime

from ..kernel.identifiers import normalize_identifier
from ..tenants.policies import TRUSTED_KEPT, SignInPolicy
from .devices import UNKNOWN_DEVICE, Device
from .lockout import DeviceFailures, FailureCount


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
