"""Two-factor sign-in's code: six digits bound to the session that asked for it."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .records import REQUEST_WINDOW, CodeLife

CODE_LIFE = timedelta(minutes=3)


CODE_TRIES = 3


CODE_REQUEST_GAP = timedelta(seconds=30)


CODE_REQUESTS_PER_HOUR = 5


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
