"""Keys for one-time codes short enough to search (six digits), derived from the signing keys.

A six-digit code's plain or per-row-keyed digest is opened by trying the million candidates, so a
table dump would hand out every live code. Keyed by a secret outside the table, the digest tells
nothing without it. The deployment already keeps one such secret, the signing keys in Secrets
Manager; each key yields its own code key (HKDF of its private scalar under a purpose label), so
no second secret is deployed and rotation works as for tokens: a digest names the key it was made
with, and a code made before a rotation still matches while that key is in the set.
"""

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .keys import KeySet, SigningKey

_SALT = b"customer-auth"
_SEPARATOR = ":"


def _code_key(signing_key: SigningKey, purpose: str) -> bytes:
    scalar = signing_key.private_key.private_numbers().private_value.to_bytes(32, "big")
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=_SALT, info=f"one-time code key: {purpose} v1".encode()
    ).derive(scalar)


class CodeKeys:
    """HMACs of codes for one purpose under keys derived from a key set (one derivation per key)."""

    def __init__(self, key_set: KeySet, purpose: str) -> None:
        self._key_set = key_set
        self._purpose = purpose
        self._derived: dict[str, bytes] = {}

    def _key(self, kid: str) -> bytes | None:
        if kid not in self._derived:
            signing_key = self._key_set.by_kid.get(kid)
            if signing_key is None:
                return None
            self._derived[kid] = _code_key(signing_key, self._purpose)
        return self._derived[kid]

    def digest(self, message: str) -> str:
        """``<kid>:<HMAC-SHA256 hex>`` of ``message`` under the signing key's code key."""
        kid = self._key_set.signing_key.kid
        key = self._key(kid)
        if key is None:  # a key set always holds its signing key; never fall back to a public key
            raise LookupError(f"signing key {kid} is not in its key set")
        mac = hmac.new(key, message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return f"{kid}{_SEPARATOR}{mac}"

    def matches(self, stored: str | None, message: str) -> bool:
        """Whether ``stored`` is the digest of ``message`` (under the key it names), in constant
        time; a digest made with a key no longer in the set matches nothing."""
        kid, _, _ = (stored or "").rpartition(_SEPARATOR)
        key = self._key(kid) if kid else None
        # Compared even without a key, so a missing key costs what a wrong code costs.
        mac = hmac.new(key or b"", message.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
        return hmac.compare_digest(stored or "", f"{kid}{_SEPARATOR}{mac}") and key is not None
