"""One live code per login, for a purpose: stored only as a digest, with a TTL, rate-limited.

Password recovery uses it for its confirmation codes. The code is long (256 CSPRNG bits), so an
unkeyed SHA-256 is enough: nobody can search that space, and the digest alone opens nothing.
Two-factor sign-in keeps its own ``CodeChallenge`` (six digits, bound to a session).
"""

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Self

from ..accounts.records import StoredAccount
from ..logins.login import Login

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


def new_long_code() -> str:
    """256 bits from the operating system's CSPRNG, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def long_code_digest(code: str) -> str:
    """What is stored of a code."""
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class CodeRules:
    """How a purpose's codes live: their life, their tries, and how often they may be asked for."""

    life: timedelta
    tries: int
    gap: timedelta
    """At most one code per ``gap``."""
    per_hour: int
    """At most this many codes in any hour."""


@dataclass(frozen=True, slots=True)
class OneTimeCode(CodeLife):
    """A login's code for one purpose and its request history (the rate limit). A new code
    replaces the last; a spent one keeps its history until the hour forgets it."""

    tenant_id: int
    account_id: int
    purpose: str
    digest: str | None = field(default=None, repr=False)

    @property
    def expires_at(self) -> datetime | None:
        """When the item may go (its TTL): once neither the code nor the rate limit needs it."""
        moments = [m for m in (self.code_expires_at, self._history_ends()) if m is not None]
        return max(moments) if moments else None

    def _history_ends(self) -> datetime | None:
        return self.requested_at[-1] + REQUEST_WINDOW if self.requested_at else None

    def seconds_to_wait(self, now: datetime, rules: CodeRules) -> int:
        """How long before another code may be issued (0: now)."""
        return self._seconds_before_another(now, rules.gap, rules.per_hour)

    def issued(self, digest: str, now: datetime, rules: CodeRules) -> "OneTimeCode":
        """A new code (its digest) in place of the last one."""
        return replace(
            self,
            digest=digest,
            code_expires_at=now + rules.life,
            tries_left=rules.tries,
            requested_at=(*self.recent_requests(now), now),
            version=self.version + 1,
        )

    def is_open(self, now: datetime) -> bool:
        """Whether a live code may still be tried."""
        return (
            self.digest is not None
            and self.code_expires_at is not None
            and now < self.code_expires_at
            and self.tries_left > 0
        )

    def matches(self, code: str) -> bool:
        """Whether ``code`` is this live code, compared in constant time."""
        return hmac.compare_digest(self.digest or "", long_code_digest(code))

    def after_wrong_try(self) -> "OneTimeCode":
        """One try spent; the last one spends the code and its end."""
        return self._tried("digest", "code_expires_at")

    def used(self) -> "OneTimeCode":
        return replace(self, digest=None, code_expires_at=None, tries_left=0, version=self.version + 1)


@dataclass(frozen=True, slots=True)
class LoginWithCode:
    """An account, its login and the login's code for one purpose, read together."""

    account: StoredAccount | None
    login: Login | None
    code: OneTimeCode
