"""Domain errors. The API layer maps each to one HTTP status and Kibo error code."""


class DomainError(Exception):
    """Base of every error a client can cause; ``message`` is safe to show to the client."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidParameter(DomainError):
    """A request value breaks a rule (400)."""


class Unauthenticated(DomainError):
    """The caller's token is missing or not valid (401)."""


class InvalidCredentials(DomainError):
    """Client or user credentials are wrong (401)."""


class InvalidToken(DomainError):
    """A refresh token that is unknown, expired, revoked or reused (401)."""


class RefreshTokenReused(InvalidToken):
    """A rotated refresh token presented again: its family has been revoked (401, as any bad token)."""


class InvalidCode(InvalidCredentials):
    """A two-factor code that is wrong, expired, used or out of tries (401, one answer for all)."""


class TooManyRequests(DomainError):
    """The caller must wait ``retry_after`` seconds before asking again (429)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Forbidden(DomainError):
    """The caller is known but may not do this here (403)."""


class PasswordChangeRequired(DomainError):
    """The right password, but the login must change it before signing in again (403)."""


class NotFound(DomainError):
    """The item does not exist in the caller's tenant (404)."""


class Conflict(DomainError):
    """The write would break a uniqueness rule (409)."""


class Unavailable(Exception):
    """A dependency failed after its retries; nothing was written (503)."""


class ConcurrentUpdate(Exception):
    """An optimistic write lost a race; the caller re-reads and tries again."""


class AccountIdTaken(Exception):
    """A new account's random id collided with an existing one; the caller draws another."""
