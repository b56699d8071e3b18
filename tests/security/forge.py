"""An attacker's toolkit: JWTs assembled byte by byte (base64url, JSON, raw signatures), so that a
rejection is the service's doing and never a library refusing to build the token.

``resigned`` with the service's own signing key (read from the moto secret through the runtime)
is the positive control: a copy of a valid token, rebuilt here, that the service must accept. Every
forgery then differs from it in exactly one respect.
"""

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from customer_auth.api import runtime

DROP = object()
"""Marks a header member or claim to remove."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def header_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(unb64url(token.split(".")[0]))
    return decoded


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(unb64url(token.split(".")[1]))
    return decoded


def changed(base: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    merged = {**base, **(changes or {})}
    return {name: value for name, value in merged.items() if value is not DROP}


def signing_input(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64url_json(header)}.{b64url_json(claims)}"


def es256(data: str, private_key: ec.EllipticCurvePrivateKey) -> str:
    """A JWS ES256 signature: raw r || s, 32 bytes each (RFC 7518 §3.4)."""
    r, s = decode_dss_signature(private_key.sign(data.encode(), ec.ECDSA(hashes.SHA256())))
    return b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def es256_token(
    header: dict[str, Any], claims: dict[str, Any], private_key: ec.EllipticCurvePrivateKey
) -> str:
    data = signing_input(header, claims)
    return f"{data}.{es256(data, private_key)}"


def hs256_token(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    data = signing_input(header, claims)
    return f"{data}.{b64url(hmac.new(secret, data.encode(), hashlib.sha256).digest())}"


def service_private_key() -> ec.EllipticCurvePrivateKey:
    """The service's real signing key, from the secret in (moto's) Secrets Manager."""
    return runtime.key_set().signing_key.private_key


def resigned(
    token: str,
    header_changes: dict[str, Any] | None = None,
    claim_changes: dict[str, Any] | None = None,
    private_key: ec.EllipticCurvePrivateKey | None = None,
) -> str:
    """``token`` rebuilt with the given departures and signed with ``private_key`` (default: ours)."""
    return es256_token(
        changed(header_of(token), header_changes),
        changed(claims_of(token), claim_changes),
        private_key or service_private_key(),
    )


def tampered(token: str, claim_changes: dict[str, Any]) -> str:
    """The payload changed, the original header and signature kept."""
    header, _, signature = token.split(".")
    return f"{header}.{b64url_json(changed(claims_of(token), claim_changes))}.{signature}"


def attacker_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(private_key: ec.EllipticCurvePrivateKey) -> dict[str, str]:
    """The public JWK of ``private_key`` with its RFC 7638 thumbprint as ``kid``."""
    numbers = private_key.public_key().public_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }
    kid = b64url(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest())
    return {**members, "kid": kid, "use": "sig", "alg": "ES256"}


def public_key_from_jwk(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    x = int.from_bytes(unb64url(jwk["x"]), "big")
    y = int.from_bytes(unb64url(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


HMAC_SECRET_ENCODINGS = (
    "jwks-document",
    "jwk-compact",
    "jwk-spaced",
    "jwk-sorted",
    "pem",
    "pem-stripped",
    "pem-body-base64",
    "der",
    "x962-point",
    "x-then-y",
    "jwk-x",
)


def hmac_secrets_from_jwks(jwks_text: str, kid: str) -> dict[str, bytes]:
    """Every encoding of our published public key an algorithm-confusion attack would try as the
    HMAC secret: the JWKS document as served, the JWK, PEM, DER and the raw point."""
    (jwk,) = [key for key in json.loads(jwks_text)["keys"] if key["kid"] == kid]
    public_key = public_key_from_jwk(jwk)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    pem = public_key.public_bytes(serialization.Encoding.PEM, spki)
    point = public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "jwks-document": jwks_text.encode(),
        "jwk-compact": json.dumps(jwk, separators=(",", ":")).encode(),
        "jwk-spaced": json.dumps(jwk).encode(),
        "jwk-sorted": json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode(),
        "pem": pem,
        "pem-stripped": pem.strip(),
        "pem-body-base64": b"".join(pem.strip().splitlines()[1:-1]),
        "der": public_key.public_bytes(serialization.Encoding.DER, spki),
        "x962-point": point,
        "x-then-y": point[1:],
        "jwk-x": jwk["x"].encode(),
    }
