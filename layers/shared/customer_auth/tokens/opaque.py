"""Opaque bearer tokens: random, shown to the client once, stored only as a digest."""

import hashlib
import re
import secrets
from dataclasses import dataclass

OPAQUE_TOKEN_BYTES = 32
"""256 bits of randomness per token."""


def new_opaque_token() -> str:
    return secrets.token_urlsafe(OPAQUE_TOKEN_BYTES)


def token_digest(token: str) -> str:
    """SHA-256 of a high-entropy token: what we store and look up, never the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_id() -> str:
    """A random 128-bit id as 32 lower-case hex characters (user ids, session ids, jti)."""
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class SessionLocator:
    """Where a shopper token's session lives; carried in the clear before the token's secret part,
    so one batched read finds the token, its session, login and account. The digest covers the
    whole token, so an altered locator matches no stored token."""

    tenant_id: int
    account_id: int
    sid: str


_LOCATED = re.compile(r"(\d{1,10})\.(\d{1,10})\.([0-9a-f]{32})\.[A-Za-z0-9_-]{43}")


def new_session_token(locator: SessionLocator) -> str:
    """An opaque shopper token (access or refresh): its locator, then 256 random bits."""
    return f"{locator.tenant_id}.{locator.account_id}.{locator.sid}.{new_opaque_token()}"


def session_locator(token: str) -> SessionLocator | None:
    """The locator of a well-formed shopper token; ``None`` for anything else."""
    match = _LOCATED.fullmatch(token)
    if match is None:
        return None
    return SessionLocator(int(match[1]), int(match[2]), match[3])
