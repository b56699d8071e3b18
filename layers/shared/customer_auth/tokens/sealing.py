"""Sealing a rotated refresh family's newest tokens so that only its parent token can open them.

The grace window hands the immediate parent back the child it already produced. Storing the
child in the clear would break "tokens only as hashes"; sealed under a key derived from the
parent token (which we never store), it is readable only by whoever presents that parent again.
"""

import base64
import hashlib
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_CONTEXT = b"customer-auth/refresh-grace/v1"
_NONCE_BYTES = 12


def _key(parent_token: str) -> bytes:
    return hashlib.sha256(_CONTEXT + b"\0" + parent_token.encode("utf-8")).digest()


def seal(parent_token: str, secrets: dict[str, str]) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_key(parent_token)).encrypt(nonce, json.dumps(secrets).encode("utf-8"), _CONTEXT)
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(parent_token: str, sealed: str) -> dict[str, str] | None:
    """The sealed secrets, or ``None`` if ``parent_token`` is not the one they were sealed for."""
    try:
        raw = base64.b64decode(sealed, validate=True)
        opened = AESGCM(_key(parent_token)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _CONTEXT)
    except (InvalidTag, ValueError):
        return None
    value = json.loads(opened)
    return value if isinstance(value, dict) else None
