"""Signing keys and JWTs: what we mint verifies, and nothing else does."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from customer_auth.tokens.jwt import InvalidJwt, JwtCodec
from customer_auth.tokens.keys import KeySetError, key_set_from_secret

SEED_A = "a" * 40 + "seed-one"
SEED_B = "b" * 40 + "seed-two"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def codec(*seeds: str, issuer: str = "https://issuer.test", audience: str = "customer-auth") -> JwtCodec:
    secret = json.dumps({"keys": [{"seed": s} for s in seeds]})
    return JwtCodec(key_set_from_secret(secret), issuer, audience)


def mint(signer: JwtCodec, use: str = "app", lifetime: timedelta = timedelta(hours=1)) -> str:
    return signer.mint(use, "subject-1", NOW, NOW + lifetime, {"tenant_id": 100})  # type: ignore[arg-type]


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_seed_derives_the_same_key_every_time_and_different_seeds_differ() -> None:
    first, again = (
        key_set_from_secret(json.dumps({"seed": SEED_A})),
        key_set_from_secret(json.dumps({"seed": SEED_A})),
    )
    other = key_set_from_secret(json.dumps({"seed": SEED_B}))
    assert first.signing_key.public_jwk == again.signing_key.public_jwk
    assert first.signing_key.kid != other.signing_key.kid


def test_kid_is_the_rfc7638_thumbprint_and_the_jwk_verifies_our_tokens() -> None:
    signer = codec(SEED_A)
    jwk = signer.keys.jwks()["keys"][0]
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    token = mint(signer)
    assert jwk["kid"] == thumbprint == jwt.get_unverified_header(token)["kid"]
    claims = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["ES256"],
        audience="customer-auth",
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    assert claims["sub"] == "subject-1"


def test_rotation_signs_with_the_first_key_publishes_both_and_old_tokens_still_verify() -> None:
    old_token = mint(codec(SEED_B))
    rotated = codec(SEED_A, SEED_B)
    assert [k["kid"] for k in rotated.keys.jwks()["keys"]] == [
        rotated.keys.signing_key.kid,
        codec(SEED_B).keys.signing_key.kid,
    ]
    assert rotated.verify(old_token, "app", NOW)["sub"] == "subject-1"
    assert jwt.get_unverified_header(mint(rotated))["kid"] == rotated.keys.signing_key.kid


def test_a_pem_p256_key_is_accepted() -> None:
    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )
    signer = JwtCodec(
        key_set_from_secret(json.dumps({"keys": [{"pem": pem}]})), "https://issuer.test", "customer-auth"
    )
    assert signer.verify(mint(signer), "app", NOW)["tenant_id"] == 100


@pytest.mark.parametrize(
    "secret",
    [
        "not json",
        "[]",
        json.dumps({"keys": []}),
        json.dumps({"seed": "too short"}),
        json.dumps({"keys": ["a string"]}),
        json.dumps(
            {
                "keys": [
                    {
                        "pem": rsa.generate_private_key(public_exponent=65537, key_size=2048)
                        .private_bytes(
                            serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption(),
                        )
                        .decode()
                    }
                ]
            }
        ),
    ],
    ids=["not-json", "list", "no-keys", "short-seed", "not-an-object", "rsa-key"],
)
def test_an_unusable_secret_is_a_key_set_error(secret: str) -> None:
    with pytest.raises(KeySetError):
        key_set_from_secret(secret)


def test_a_minted_token_verifies_for_its_use_within_its_lifetime() -> None:
    signer = codec(SEED_A)
    claims = signer.verify(mint(signer), "app", NOW + timedelta(minutes=59))
    assert claims["token_use"] == "app"
    assert claims["iss"] == "https://issuer.test"


def hs256_with(secret: bytes, kid: str, payload: str) -> str:
    """The classic confusion attack: HMAC-signed with the public key's PEM as the secret."""
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'at+jwt', 'kid': kid})}.{payload}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def forged_tokens() -> dict[str, str]:
    signer = codec(SEED_A)
    good = mint(signer)
    header, payload, signature = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    public_pem = signer.keys.signing_key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kid = signer.keys.signing_key.kid
    return {
        "alg-none": f"{b64({'alg': 'none', 'typ': 'at+jwt', 'kid': kid})}.{payload}.",
        "hs256-with-public-key": hs256_with(public_pem, kid, payload),
        "unknown-kid": mint(codec(SEED_B)),
        "no-kid": jwt.encode(
            claims, signer.keys.signing_key.private_key, algorithm="ES256", headers={"typ": "at+jwt"}
        ),
        "injected-kid": jwt.encode(
            claims,
            signer.keys.signing_key.private_key,
            algorithm="ES256",
            headers={"typ": "at+jwt", "kid": "../../etc/passwd' OR 1=1"},
        ),
        "tampered-payload": f"{header}.{b64({**claims, 'tenant_id': 300})}.{signature}",
        "wrong-typ": jwt.encode(
            claims, signer.keys.signing_key.private_key, algorithm="ES256", headers={"typ": "JWT", "kid": kid}
        ),
        "wrong-issuer": mint(codec(SEED_A, issuer="https://evil.test")),
        "wrong-audience": mint(codec(SEED_A, audience="someone-else")),
        "shopper-token-as-app": mint(signer, use="shopper"),
        "expired": mint(signer, lifetime=timedelta(seconds=-1)),
        "missing-jti": jwt.encode(
            {k: v for k, v in claims.items() if k != "jti"},
            signer.keys.signing_key.private_key,
            algorithm="ES256",
            headers={"typ": "at+jwt", "kid": kid},
        ),
        "not-yet-valid": jwt.encode(
            {**claims, "nbf": int((NOW + timedelta(minutes=5)).timestamp())},
            signer.keys.signing_key.private_key,
            algorithm="ES256",
            headers={"typ": "at+jwt", "kid": kid},
        ),
        "garbage": "not.a.jwt",
    }


@pytest.mark.parametrize("name", sorted(forged_tokens()))
def test_a_forged_or_misused_token_is_rejected(name: str) -> None:
    with pytest.raises(InvalidJwt):
        codec(SEED_A).verify(forged_tokens()[name], "app", NOW)
