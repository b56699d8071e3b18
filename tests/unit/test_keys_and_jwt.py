"""Signing key sets (keys.py) and the access-token codec (jwt.py), checked against hand-built JWTs.

The forged tokens are assembled byte by byte here (base64url, JSON, raw ES256 signatures), so a
rejection is the codec's doing and not a side effect of a library refusing to build the token.
"""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from customer_auth.tokens.jwt import InvalidJwt, JwtCodec
from customer_auth.tokens.keys import KeySet, KeySetError, key_set_from_secret

SEED_OLD = "old-seed-" + "o" * 48
SEED_NEW = "new-seed-" + "n" * 48
SEED_OTHER = "someone-elses-seed-" + "x" * 48
ISSUER = "https://customer-auth.test"
AUDIENCE = "customer-auth"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TS = int(NOW.timestamp())
DROP = object()
"""Marks a header member or claim to remove from an otherwise valid token."""


# -- helpers -----------------------------------------------------------------------------------


def keys(*seeds: str) -> KeySet:
    if len(seeds) == 1:
        return key_set_from_secret(json.dumps({"seed": seeds[0]}))
    return key_set_from_secret(json.dumps({"keys": [{"seed": seed} for seed in seeds]}))


def codec(key_set: KeySet | None = None, issuer: str = ISSUER, audience: str = AUDIENCE) -> JwtCodec:
    return JwtCodec(key_set or keys(SEED_NEW), issuer, audience)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pem_of(private_key: Any) -> str:
    pem: bytes = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


def thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 §3: SHA-256 of the required members, in lexicographic order, without whitespace."""
    numbers = public_key.public_numbers()
    x, y = b64url(numbers.x.to_bytes(32, "big")), b64url(numbers.y.to_bytes(32, "big"))
    canonical = '{"crv":"P-256","kty":"EC","x":"' + x + '","y":"' + y + '"}'
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def es256(signing_input: str, private_key: ec.EllipticCurvePrivateKey) -> str:
    """A JWS ES256 signature: raw r || s, 32 bytes each (RFC 7518 §3.4), not DER."""
    r, s = decode_dss_signature(private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def valid_header(key_set: KeySet) -> dict[str, Any]:
    return {"alg": "ES256", "typ": "at+jwt", "kid": key_set.signing_key.kid}


def valid_claims(use: str = "app") -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "client-1",
        "jti": "0123456789abcdef0123456789abcdef",
        "iat": TS,
        "nbf": TS,
        "exp": TS + 3600,
        "token_use": use,
        "tenant_id": 100,
    }


def changed(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **changes}
    return {name: value for name, value in merged.items() if value is not DROP}


def hand_signed(
    header: dict[str, Any], claims: dict[str, Any], private_key: ec.EllipticCurvePrivateKey
) -> str:
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    return f"{signing_input}.{es256(signing_input, private_key)}"


def token_with(
    header_changes: dict[str, Any] | None = None,
    claim_changes: dict[str, Any] | None = None,
    key_set: KeySet | None = None,
) -> str:
    """A token signed by ``key_set`` (default: the verifier's own) with the given departures."""
    signer = key_set or keys(SEED_NEW)
    return hand_signed(
        changed(valid_header(signer), header_changes or {}),
        changed(valid_claims(), claim_changes or {}),
        signer.signing_key.private_key,
    )


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(unb64url(token.split(".")[1]))
    return decoded


def header_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(unb64url(token.split(".")[0]))
    return decoded


def mint(signer: JwtCodec, use: str = "app", lifetime: timedelta = timedelta(hours=1)) -> str:
    return signer.mint(use, "subject-1", NOW, NOW + lifetime, {"tenant_id": 100})  # type: ignore[arg-type]


# -- key sets ----------------------------------------------------------------------------------


def test_the_same_seed_derives_the_same_kid_jwk_and_private_key_every_time() -> None:
    first, again = keys(SEED_NEW), keys(SEED_NEW)
    assert first.signing_key.kid == again.signing_key.kid
    assert first.signing_key.public_jwk == again.signing_key.public_jwk
    assert first.jwks() == again.jwks()
    assert (
        first.signing_key.private_key.private_numbers().private_value
        == again.signing_key.private_key.private_numbers().private_value
    )


def test_different_seeds_derive_different_keys() -> None:
    one, other = keys(SEED_NEW), keys(SEED_OLD)
    assert one.signing_key.kid != other.signing_key.kid
    assert one.signing_key.public_jwk["x"] != other.signing_key.public_jwk["x"]


def test_a_seed_differing_in_one_character_derives_a_different_key() -> None:
    assert keys(SEED_NEW).signing_key.kid != keys(SEED_NEW[:-1] + "m").signing_key.kid


def test_a_bare_seed_and_a_one_key_list_with_that_seed_are_the_same_key_set() -> None:
    bare = key_set_from_secret(json.dumps({"seed": SEED_NEW}))
    listed = key_set_from_secret(json.dumps({"keys": [{"seed": SEED_NEW}]}))
    assert bare.jwks() == listed.jwks()


def test_the_published_jwk_is_a_p256_es256_signature_key_of_the_private_key() -> None:
    key = keys(SEED_NEW).signing_key
    numbers = key.private_key.public_key().public_numbers()
    assert key.public_jwk == {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "kid": key.kid,
        "use": "sig",
        "alg": "ES256",
    }
    assert "d" not in key.public_jwk


def test_the_kid_is_the_rfc7638_thumbprint_of_the_public_key() -> None:
    key = keys(SEED_NEW).signing_key
    assert key.kid == thumbprint(key.private_key.public_key())


def test_a_jwk_from_the_jwks_verifies_a_minted_token_with_pyjwt_alone() -> None:
    signer = codec()
    token = mint(signer)
    jwk = next(k for k in signer.keys.jwks()["keys"] if k["kid"] == header_of(token)["kid"])
    claims = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["ES256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
    )
    assert claims["sub"] == "subject-1"


def test_a_two_key_set_signs_with_the_first_key_and_publishes_both() -> None:
    rotated = keys(SEED_NEW, SEED_OLD)
    new_kid, old_kid = keys(SEED_NEW).signing_key.kid, keys(SEED_OLD).signing_key.kid
    assert rotated.signing_key.kid == new_kid
    assert [jwk["kid"] for jwk in rotated.jwks()["keys"]] == [new_kid, old_kid]
    assert set(rotated.by_kid) == {new_kid, old_kid}
    assert header_of(mint(codec(rotated)))["kid"] == new_kid


def test_a_pem_p256_private_key_is_accepted_and_signs_verifiable_tokens() -> None:
    private_key = ec.generate_private_key(ec.SECP256R1())
    for secret in ({"pem": pem_of(private_key)}, {"keys": [{"pem": pem_of(private_key)}]}):
        key_set = key_set_from_secret(json.dumps(secret))
        assert key_set.signing_key.kid == thumbprint(private_key.public_key())
        signer = codec(key_set)
        assert signer.verify(mint(signer), "app", NOW)["tenant_id"] == 100


def test_a_pem_key_and_a_seed_key_can_share_a_key_set() -> None:
    private_key = ec.generate_private_key(ec.SECP256R1())
    key_set = key_set_from_secret(json.dumps({"keys": [{"pem": pem_of(private_key)}, {"seed": SEED_OLD}]}))
    assert key_set.signing_key.kid == thumbprint(private_key.public_key())
    assert keys(SEED_OLD).signing_key.kid in key_set.by_kid


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(
            json.dumps({"pem": pem_of(rsa.generate_private_key(public_exponent=65537, key_size=2048))}),
            id="rsa-pem",
        ),
        pytest.param(json.dumps({"pem": pem_of(ec.generate_private_key(ec.SECP384R1()))}), id="p384-pem"),
        pytest.param(json.dumps({"pem": pem_of(ed25519.Ed25519PrivateKey.generate())}), id="ed25519-pem"),
        pytest.param(json.dumps({"seed": "too short"}), id="short-seed"),
        pytest.param(json.dumps({"seed": "s" * 31}), id="seed-one-below-minimum"),
        pytest.param(json.dumps({"seed": 12345678901234567890123456789012345}), id="seed-not-a-string"),
        pytest.param("not json", id="not-json"),
        pytest.param("", id="empty-string"),
        pytest.param("[]", id="json-list"),
        pytest.param("null", id="json-null"),
        pytest.param('"seed"', id="json-string"),
        pytest.param("{}", id="empty-object"),
        pytest.param(json.dumps({"keys": []}), id="empty-key-list"),
        pytest.param(json.dumps({"keys": {"seed": SEED_NEW}}), id="keys-not-a-list"),
        pytest.param(json.dumps({"keys": [SEED_NEW]}), id="key-entry-not-an-object"),
        pytest.param(json.dumps({"keys": [{"seed": SEED_NEW}, {"seed": "short"}]}), id="one-bad-entry"),
    ],
)
def test_an_unusable_secret_raises_key_set_error(secret: str) -> None:
    with pytest.raises(KeySetError):
        key_set_from_secret(secret)


@pytest.mark.parametrize(
    "pem",
    [
        pytest.param("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n", id="garbage"),
        pytest.param(
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"passphrase"),
            )
            .decode(),
            id="encrypted",
        ),
    ],
)
def test_a_pem_that_does_not_load_raises_key_set_error(pem: str) -> None:
    # KeySetError is documented as "the secret does not hold a usable key set".
    with pytest.raises(KeySetError):
        key_set_from_secret(json.dumps({"pem": pem}))


# -- minting and verifying ---------------------------------------------------------------------


@pytest.mark.parametrize("use", ["app", "shopper"])
def test_a_minted_token_verifies_for_its_own_use(use: str) -> None:
    signer = codec()
    expires = NOW + timedelta(minutes=15)
    token = signer.mint(use, "subject-1", NOW, expires, {"tenant_id": 100, "site_id": None})  # type: ignore[arg-type]
    claims = signer.verify(token, use, NOW)  # type: ignore[arg-type]
    assert claims["token_use"] == use
    assert claims["sub"] == "subject-1"
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["iat"] == claims["nbf"] == TS
    assert claims["exp"] == int(expires.timestamp())
    assert claims["tenant_id"] == 100
    assert claims["site_id"] is None
    assert len(claims["jti"]) == 32
    assert header_of(token) == {"alg": "ES256", "typ": "at+jwt", "kid": signer.keys.signing_key.kid}


def test_registered_claims_cannot_be_overridden_by_the_caller_claims() -> None:
    signer = codec()
    token = signer.mint(
        "app", "subject-1", NOW, NOW + timedelta(hours=1), {"iss": "evil", "token_use": "shopper", "sub": "x"}
    )
    claims = signer.verify(token, "app", NOW)
    assert (claims["iss"], claims["token_use"], claims["sub"]) == (ISSUER, "app", "subject-1")


def test_every_minted_token_has_a_fresh_jti() -> None:
    signer = codec()
    assert claims_of(mint(signer))["jti"] != claims_of(mint(signer))["jti"]


def test_a_token_verifies_until_the_second_before_it_expires() -> None:
    signer = codec()
    token = mint(signer, lifetime=timedelta(hours=1))
    assert signer.verify(token, "app", NOW + timedelta(seconds=3599))["sub"] == "subject-1"


def test_the_hand_signed_reference_token_is_valid() -> None:
    """The baseline the forgeries below depart from: proves the helpers build acceptable tokens."""
    assert codec().verify(token_with(), "app", NOW)["sub"] == "client-1"


def test_a_token_whose_nbf_is_exactly_the_allowed_skew_ahead_is_accepted() -> None:
    assert codec().verify(token_with(claim_changes={"nbf": TS + 30}), "app", NOW)["sub"] == "client-1"


@pytest.mark.parametrize(("minted_as", "verified_as"), [("app", "shopper"), ("shopper", "app")])
def test_a_token_of_the_other_use_is_rejected(minted_as: str, verified_as: str) -> None:
    signer = codec()
    with pytest.raises(InvalidJwt):
        signer.verify(mint(signer, use=minted_as), verified_as, NOW)  # type: ignore[arg-type]


def test_a_token_without_token_use_is_rejected() -> None:
    with pytest.raises(InvalidJwt):
        codec().verify(token_with(claim_changes={"token_use": DROP}), "app", NOW)


@pytest.mark.parametrize("signature", ["", "keep"], ids=["empty-signature", "original-signature"])
def test_alg_none_is_rejected(signature: str) -> None:
    key_set = keys(SEED_NEW)
    original = token_with()
    header = b64url_json({"alg": "none", "typ": "at+jwt", "kid": key_set.signing_key.kid})
    payload = b64url_json(valid_claims())
    forged = f"{header}.{payload}.{original.split('.')[2] if signature == 'keep' else ''}"
    with pytest.raises(InvalidJwt):
        codec(key_set).verify(forged, "app", NOW)


def public_key_bytes(key_set: KeySet, encoding: str) -> bytes:
    public_key = key_set.signing_key.private_key.public_key()
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if encoding == "der":
        return public_key.public_bytes(serialization.Encoding.DER, spki)
    pem = public_key.public_bytes(serialization.Encoding.PEM, spki)
    return pem.strip() if encoding == "pem-stripped" else pem


@pytest.mark.parametrize("encoding", ["pem", "pem-stripped", "der"])
def test_hs256_signed_with_the_public_key_bytes_as_hmac_secret_is_rejected(encoding: str) -> None:
    key_set = keys(SEED_NEW)
    signing_input = (
        f"{b64url_json({'alg': 'HS256', 'typ': 'at+jwt', 'kid': key_set.signing_key.kid})}."
        f"{b64url_json(valid_claims())}"
    )
    mac = hmac.new(public_key_bytes(key_set, encoding), signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidJwt):
        codec(key_set).verify(f"{signing_input}.{b64url(mac)}", "app", NOW)


def test_hs256_signed_with_the_public_jwk_json_as_hmac_secret_is_rejected() -> None:
    key_set = keys(SEED_NEW)
    secret = json.dumps(key_set.signing_key.public_jwk).encode()
    signing_input = (
        f"{b64url_json({'alg': 'HS256', 'typ': 'at+jwt', 'kid': key_set.signing_key.kid})}."
        f"{b64url_json(valid_claims())}"
    )
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidJwt):
        codec(key_set).verify(f"{signing_input}.{b64url(mac)}", "app", NOW)


def test_a_token_whose_kid_names_another_key_sets_key_is_rejected() -> None:
    # Signed by another deployment's key with that key's own (correct) kid.
    with pytest.raises(InvalidJwt):
        codec().verify(token_with(key_set=keys(SEED_OTHER)), "app", NOW)


def test_a_token_signed_by_another_key_but_labelled_with_our_kid_is_rejected() -> None:
    ours, theirs = keys(SEED_NEW), keys(SEED_OTHER)
    forged = hand_signed(valid_header(ours), valid_claims(), theirs.signing_key.private_key)
    with pytest.raises(InvalidJwt):
        codec(ours).verify(forged, "app", NOW)


@pytest.mark.parametrize(
    ("header_changes", "claim_changes"),
    [
        pytest.param({"kid": "no-such-kid"}, {}, id="unknown-kid"),
        pytest.param({"kid": ""}, {}, id="empty-kid"),
        pytest.param({"kid": 7}, {}, id="kid-not-a-string"),
        pytest.param({"kid": DROP}, {}, id="missing-kid"),
        pytest.param({"typ": "JWT"}, {}, id="typ-jwt"),
        pytest.param({"typ": "at+jwt "}, {}, id="typ-with-trailing-space"),
        pytest.param({"typ": DROP}, {}, id="missing-typ"),
        pytest.param({"alg": "ES384"}, {}, id="alg-es384"),
        pytest.param({}, {"iss": "https://evil.test"}, id="wrong-issuer"),
        pytest.param({}, {"iss": DROP}, id="missing-issuer"),
        pytest.param({}, {"aud": "another-service"}, id="wrong-audience"),
        pytest.param({}, {"aud": DROP}, id="missing-audience"),
        pytest.param({}, {"exp": TS}, id="expires-now"),
        pytest.param({}, {"exp": TS - 1}, id="expired-a-second-ago"),
        pytest.param({}, {"nbf": TS + 31}, id="not-valid-for-31-seconds"),
        pytest.param({}, {"nbf": TS + 3000}, id="not-valid-for-50-minutes"),
        pytest.param({}, {"exp": float(TS + 3600)}, id="exp-not-an-integer"),
        pytest.param({}, {"jti": DROP}, id="missing-jti"),
        pytest.param({}, {"sub": DROP}, id="missing-sub"),
        pytest.param({}, {"exp": DROP}, id="missing-exp"),
        pytest.param({}, {"nbf": DROP}, id="missing-nbf"),
        pytest.param({}, {"iat": DROP}, id="missing-iat"),
    ],
)
def test_a_token_departing_from_the_rules_is_rejected(
    header_changes: dict[str, Any], claim_changes: dict[str, Any]
) -> None:
    with pytest.raises(InvalidJwt):
        codec().verify(token_with(header_changes, claim_changes), "app", NOW)


def test_an_expired_minted_token_is_rejected_from_its_expiry_on() -> None:
    signer = codec()
    token = mint(signer, lifetime=timedelta(minutes=10))
    for later in (timedelta(minutes=10), timedelta(minutes=10, seconds=1), timedelta(days=1)):
        with pytest.raises(InvalidJwt):
            signer.verify(token, "app", NOW + later)


def test_a_minted_token_is_rejected_more_than_30_seconds_before_it_was_issued() -> None:
    signer = codec()
    token = mint(signer)
    assert signer.verify(token, "app", NOW - timedelta(seconds=30))["sub"] == "subject-1"
    with pytest.raises(InvalidJwt):
        signer.verify(token, "app", NOW - timedelta(seconds=31))


@pytest.mark.parametrize(
    "tampering",
    [{"tenant_id": 300}, {"sub": "someone-else"}, {"token_use": "app", "exp": TS + 10**6}],
    ids=["tenant", "subject", "lifetime"],
)
def test_a_tampered_payload_with_the_original_signature_is_rejected(tampering: dict[str, Any]) -> None:
    signer = codec()
    header, payload, signature = mint(signer).split(".")
    forged = f"{header}.{b64url_json({**json.loads(unb64url(payload)), **tampering})}.{signature}"
    with pytest.raises(InvalidJwt):
        signer.verify(forged, "app", NOW)


def test_a_tampered_header_with_the_original_signature_is_rejected() -> None:
    signer = codec()
    _, payload, signature = mint(signer).split(".")
    header = b64url_json({"alg": "ES256", "kid": signer.keys.signing_key.kid, "typ": "at+jwt", "x": 1})
    with pytest.raises(InvalidJwt):
        signer.verify(f"{header}.{payload}.{signature}", "app", NOW)


@pytest.mark.parametrize(
    "garbage",
    ["", "not-a-jwt", "a.b", "a.b.c", "a.b.c.d", "..", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA"],
)
def test_garbage_is_rejected_as_an_invalid_jwt(garbage: str) -> None:
    with pytest.raises(InvalidJwt):
        codec().verify(garbage, "app", NOW)


# -- rotation ----------------------------------------------------------------------------------


def test_a_token_signed_by_the_old_key_still_verifies_after_rotation_to_new_then_old() -> None:
    before = codec(keys(SEED_OLD))
    old_token = mint(before)
    after = codec(keys(SEED_NEW, SEED_OLD))
    assert after.verify(old_token, "app", NOW)["sub"] == "subject-1"
    new_token = mint(after)
    assert header_of(new_token)["kid"] == keys(SEED_NEW).signing_key.kid
    assert after.verify(new_token, "app", NOW)["sub"] == "subject-1"


def test_once_the_old_key_is_retired_its_tokens_are_rejected() -> None:
    old_token = mint(codec(keys(SEED_OLD)))
    with pytest.raises(InvalidJwt):
        codec(keys(SEED_NEW)).verify(old_token, "app", NOW)


def test_a_token_from_the_new_key_verifies_at_a_verifier_that_already_holds_both() -> None:
    # Verifiers may learn the new key before signers switch to it: [old, new] verifies new tokens.
    new_token = mint(codec(keys(SEED_NEW)))
    assert codec(keys(SEED_OLD, SEED_NEW)).verify(new_token, "app", NOW)["sub"] == "subject-1"
