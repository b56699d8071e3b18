"""Opaque bearer tokens: random, shown to the client once, stored only as a digest."""

import hashlib
import secrets

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
