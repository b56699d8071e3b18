"""Where a sign-in comes from, as a login remembers it."""

import hashlib
import hmac
from dataclasses import dataclass


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
