"""The signing key set: ES256 keys from the deployment's secret, and their public JWKS.

The secret is JSON. Either ``{"seed": "<random string>"}`` (what CloudFormation generates) or
``{"keys": [{"seed": ...} | {"pem": "<PKCS#8 EC P-256 private key>"}, ...]}`` for rotation: the
first key signs, every key verifies and is published, so an old key stays live until its tokens
have expired.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_MIN_SEED_CHARS = 32


class KeySetError(ValueError):
    """The secret does not hold a usable key set (a deployment error, never a client's)."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey
    public_jwk: dict[str, str]


@dataclass(frozen=True, slots=True)
class KeySet:
    signing_key: SigningKey
    by_kid: dict[str, SigningKey]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk for key in self.by_kid.values()]}


def key_set_from_secret(secret_string: str) -> KeySet:
    try:
        document = json.loads(secret_string)
    except json.JSONDecodeError as error:
        raise KeySetError("the signing key secret is not JSON") from error
    entries = document.get("keys", [document]) if isinstance(document, dict) else None
    if not entries or not isinstance(entries, list):
        raise KeySetError("the signing key secret holds no keys")
    keys = [_signing_key(entry) for entry in entries]
    return KeySet(signing_key=keys[0], by_kid={key.kid: key for key in keys})


def _signing_key(entry: Any) -> SigningKey:
    if not isinstance(entry, dict):
        raise KeySetError("each signing key must be an object")
    if isinstance(entry.get("pem"), str):
        try:
            loaded = serialization.load_pem_private_key(entry["pem"].encode(), password=None)
        except (ValueError, TypeError) as error:  # malformed, or encrypted with a passphrase
            raise KeySetError("a PEM signing key must be an unencrypted PKCS#8 or SEC1 key") from error
        if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
            raise KeySetError("a PEM signing key must be an EC P-256 private key")
        private_key = loaded
    elif isinstance(entry.get("seed"), str) and len(entry["seed"]) >= _MIN_SEED_CHARS:
        private_key = _derive_p256_key(entry["seed"])
    else:
        raise KeySetError(f"a signing key needs a 'pem' or a 'seed' of {_MIN_SEED_CHARS}+ characters")
    jwk = _public_jwk(private_key.public_key())
    return SigningKey(kid=jwk["kid"], private_key=private_key, public_jwk=jwk)


def _derive_p256_key(seed: str) -> ec.EllipticCurvePrivateKey:
    # 48 bytes of HKDF output reduced modulo the group order: the bias is below 2**-128.
    material = HKDF(
        algorithm=hashes.SHA256(), length=48, salt=b"customer-auth", info=b"ES256 signing key v1"
    ).derive(seed.encode("utf-8"))
    scalar = int.from_bytes(material, "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }
    # RFC 7638 thumbprint: the kid follows from the key, so it cannot be mislabelled.
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    kid = _b64url(hashlib.sha256(canonical).digest())
    return {**members, "kid": kid, "use": "sig", "alg": "ES256"}
