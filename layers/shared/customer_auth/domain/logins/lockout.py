"""Failed password checks, counted per kind of client, and the locks they lead to."""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..tenants.policies import SignInPolicy


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
