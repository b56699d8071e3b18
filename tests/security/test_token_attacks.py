"""Token attacks through the handlers (docs/contract.md §2, §5, §8): forged, altered, misused and foreign
app and shopper tokens are refused with the exact status and error code, and write nothing.

Each parametrized family starts with a positive control (a copy of a valid token, rebuilt and
re-signed here with the service's real key, that must be accepted), and every forgery differs from
that control in one respect. A refusal is 401; 403 only where the contract says so: a valid token
of the right kind lacking a behavior, or a tenant header that is not the token's tenant.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from tests.security.forge import (
    DROP,
    HMAC_SECRET_ENCODINGS,
    attacker_key,
    changed,
    claims_of,
    es256_token,
    header_of,
    hmac_secrets_from_jwks,
    hs256_token,
    public_jwk,
    resigned,
    signing_input,
    tampered,
)
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import OTHER_TENANT_ID, TENANT_ID, Api, FrozenClock, HttpResult, World

PASSWORD = "correct horse battery staple"
EMAIL = "target@example.com"
BYSTANDER_EMAIL = "bystander@example.com"
FOREIGN_EMAIL = "foreigner@example.com"
ACCOUNTS = "/api/commerce/customer/accounts"
CURRENT = f"{ACCOUNTS}/current"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = f"{SIGN_IN}/refresh"
REQUEST_CODE = f"{SIGN_IN}/2fa/request"
OAUTH = "/api/platform/applications/authtickets/oauth"
JWKS = "/.well-known/jwks.json"
MAX_REFRESH_TOKEN_CHARS = 512
FOREIGN_HEADERS = {"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"}


@dataclass
class Scene:
    """Tenant 100 with a registered shopper (its Create-Login ticket) and the published JWKS."""

    world: World
    clock: FrozenClock
    app: str
    account_id: int
    ticket: dict[str, Any]
    jwks_text: str

    @property
    def now(self) -> int:
        return int(self.clock.now.timestamp())

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> HttpResult:
        return self.world.api.call(method, path, body, **kwargs)


def register(world: World, app: str, email: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A new account with a login; its full Create-Login ticket."""
    added = ok(world.api.call("POST", ACCOUNTS, {"emailAddress": email}, token=app, headers=headers))
    created = world.api.call(
        "POST",
        f"{ACCOUNTS}/{added['id']}/Create-Login",
        {"emailAddress": email, "password": PASSWORD},
        token=app,
        headers=headers,
    )
    return ok(created)


@pytest.fixture
def scene(world: World, clock: FrozenClock) -> Scene:
    app = world.app_token()
    ticket = register(world, app, EMAIL)
    jwks = world.api.call("GET", JWKS)
    assert jwks.status == 200, jwks.text
    return Scene(world, clock, app, ticket["customerAccount"]["id"], ticket, jwks.text)


@pytest.fixture
def bystander(scene: Scene) -> dict[str, Any]:
    """Another shopper of the same tenant: its ticket."""
    return register(scene.world, scene.app, BYSTANDER_EMAIL)


@pytest.fixture
def foreigner(scene: Scene) -> dict[str, Any]:
    """A shopper of tenant 300, registered through tenant 300's own app client: its ticket."""
    return register(scene.world, scene.world.app_token("other"), FOREIGN_EMAIL, FOREIGN_HEADERS)


def sign_in_body() -> dict[str, str]:
    return {"username": EMAIL, "password": PASSWORD}


# -- signed tokens: one family of forgeries, tried on every route that takes a signed token ----------
Forge = Callable[[str, Scene], str]


@dataclass(frozen=True)
class Forgery:
    id: str
    make: Forge
    accepted: bool = False


def _alg_none(alg: str, keep_signature: bool = False) -> Forge:
    def make(token: str, _: Scene) -> str:
        data = signing_input({**header_of(token), "alg": alg}, claims_of(token))
        return f"{data}.{token.split('.')[2] if keep_signature else ''}"

    return make


def _hs256_with_our_public_key(encoding: str) -> Forge:
    def make(token: str, scene: Scene) -> str:
        header = header_of(token)
        secret = hmac_secrets_from_jwks(scene.jwks_text, header["kid"])[encoding]
        return hs256_token({**header, "alg": "HS256"}, claims_of(token), secret)

    return make


def _hs256_with_kid(kid: str, secret: bytes) -> Forge:
    def make(token: str, _: Scene) -> str:
        return hs256_token({**header_of(token), "alg": "HS256", "kid": kid}, claims_of(token), secret)

    return make


def _attacker_signed(extra_header: Callable[[dict[str, str], str], dict[str, Any]]) -> Forge:
    """Signed by the attacker's own ES256 key, with header members naming or carrying that key."""

    def make(token: str, _: Scene) -> str:
        key = attacker_key()
        header = header_of(token)
        return es256_token(
            changed(header, extra_header(public_jwk(key), header["kid"])), claims_of(token), key
        )

    return make


def _resigned_claims(changes: Callable[[Scene, dict[str, Any]], dict[str, Any]]) -> Forge:
    def make(token: str, scene: Scene) -> str:
        return resigned(token, claim_changes=changes(scene, claims_of(token)))

    return make


def _tampered(changes: Callable[[dict[str, Any]], dict[str, Any]]) -> Forge:
    def make(token: str, _: Scene) -> str:
        return tampered(token, changes(claims_of(token)))

    return make


def _flipped_signature(token: str, _: Scene) -> str:
    header, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{header}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def _extra_header_member(token: str, _: Scene) -> str:
    __, payload, signature = token.split(".")
    header = signing_input({**header_of(token), "x": 1}, {}).split(".")[0]
    return f"{header}.{payload}.{signature}"


def _other_use(_: Scene | None, claims: dict[str, Any]) -> dict[str, Any]:
    return {"token_use": "shopper" if claims["token_use"] == "app" else "app"}


JWT_FORGERIES = [
    Forgery("control-resigned-with-our-key", lambda token, _: resigned(token), accepted=True),
    # alg: none, unsigned
    Forgery("alg-none", _alg_none("none")),
    Forgery("alg-None", _alg_none("None")),
    Forgery("alg-NONE", _alg_none("NONE")),
    Forgery("alg-nOnE", _alg_none("nOnE")),
    Forgery("alg-none-original-signature", _alg_none("none", keep_signature=True)),
    Forgery("alg-missing", lambda token, _: resigned(token, {"alg": DROP})),
    Forgery("alg-es384-label", lambda token, _: resigned(token, {"alg": "ES384"})),
    # HS256 with our public key as the HMAC secret (algorithm confusion)
    *(Forgery(f"hs256-public-key-{e}", _hs256_with_our_public_key(e)) for e in HMAC_SECRET_ENCODINGS),
    # kid
    Forgery("kid-unknown", lambda token, _: resigned(token, {"kid": "rotated-out-2024"})),
    Forgery("kid-missing", lambda token, _: resigned(token, {"kid": DROP})),
    Forgery("kid-a-list-of-ours", lambda token, _: resigned(token, {"kid": [header_of(token)["kid"]]})),
    Forgery("kid-ours-plus-nul", lambda token, _: resigned(token, {"kid": header_of(token)["kid"] + "\x00"})),
    Forgery("kid-path-traversal", lambda token, _: resigned(token, {"kid": "../../dev/null"})),
    Forgery("kid-path-traversal-hs256-empty-key", _hs256_with_kid("../../dev/null", b"")),
    Forgery("kid-path-traversal-hs256-passwd", _hs256_with_kid("../../../../etc/passwd", b"root:x:0:0:root")),
    Forgery("kid-sql-or-true", lambda token, _: resigned(token, {"kid": "' OR '1'='1"})),
    Forgery("kid-sql-union-hs256", _hs256_with_kid("x' UNION SELECT 'attacker' -- ", b"attacker")),
    # the attacker's own key, pointed at or embedded
    Forgery("other-key-our-kid", lambda token, _: resigned(token, private_key=attacker_key())),
    Forgery("other-key-its-own-kid", _attacker_signed(lambda jwk, _: {"kid": jwk["kid"]})),
    Forgery(
        "jku-elsewhere",
        _attacker_signed(lambda jwk, kid: {"kid": kid, "jku": "https://attacker.example/jwks.json"}),
    ),
    Forgery(
        "jku-elsewhere-its-own-kid",
        _attacker_signed(lambda jwk, _: {"kid": jwk["kid"], "jku": "https://attacker.example/jwks.json"}),
    ),
    Forgery(
        "x5u-elsewhere",
        _attacker_signed(lambda jwk, kid: {"kid": kid, "x5u": "https://attacker.example/x.pem"}),
    ),
    Forgery("embedded-jwk-our-kid", _attacker_signed(lambda jwk, kid: {"kid": kid, "jwk": jwk})),
    Forgery("embedded-jwk-its-own-kid", _attacker_signed(lambda jwk, _: {"kid": jwk["kid"], "jwk": jwk})),
    Forgery("embedded-jwk-no-kid", _attacker_signed(lambda jwk, _: {"kid": DROP, "jwk": jwk})),
    # a valid signature over something else
    Forgery("tampered-sub", _tampered(lambda _: {"sub": "someone-else"})),
    Forgery("tampered-tenant", _tampered(lambda _: {"tenant_id": OTHER_TENANT_ID})),
    Forgery("tampered-exp", _tampered(lambda claims: {"exp": claims["exp"] + 86_400})),
    Forgery("tampered-token-use", _tampered(lambda claims: _other_use(None, claims))),
    Forgery("flipped-signature-byte", _flipped_signature),
    Forgery("tampered-header", _extra_header_member),
    Forgery("signature-stripped", lambda token, _: token.rsplit(".", 1)[0] + "."),
    # times (the service's clock is frozen at the token's iat)
    Forgery("expired-now", _resigned_claims(lambda scene, _: {"exp": scene.now})),
    Forgery(
        "expired-an-hour-ago",
        _resigned_claims(lambda s, _: {"iat": s.now - 7200, "nbf": s.now - 7200, "exp": s.now - 3600}),
    ),
    Forgery("nbf-31s-ahead", _resigned_claims(lambda scene, _: {"nbf": scene.now + 31})),
    Forgery(
        "nbf-and-iat-an-hour-ahead", _resigned_claims(lambda s, _: {"nbf": s.now + 3600, "iat": s.now + 3600})
    ),
    Forgery("exp-missing", _resigned_claims(lambda *_: {"exp": DROP})),
    Forgery("nbf-missing", _resigned_claims(lambda *_: {"nbf": DROP})),
    Forgery("exp-a-float", _resigned_claims(lambda _, claims: {"exp": claims["exp"] + 0.5})),
    # issuer, audience, type, use
    Forgery("iss-wrong", _resigned_claims(lambda *_: {"iss": "https://attacker.example"})),
    Forgery("iss-trailing-slash", _resigned_claims(lambda _, claims: {"iss": claims["iss"] + "/"})),
    Forgery("iss-missing", _resigned_claims(lambda *_: {"iss": DROP})),
    Forgery("aud-wrong", _resigned_claims(lambda *_: {"aud": "another-service"})),
    Forgery("aud-list-without-us", _resigned_claims(lambda *_: {"aud": ["another-service"]})),
    Forgery("aud-missing", _resigned_claims(lambda *_: {"aud": DROP})),
    Forgery("typ-jwt", lambda token, _: resigned(token, {"typ": "JWT"})),
    Forgery("typ-missing", lambda token, _: resigned(token, {"typ": DROP})),
    Forgery("token-use-of-the-other-kind", _resigned_claims(_other_use)),
    Forgery("token-use-missing", _resigned_claims(lambda *_: {"token_use": DROP})),
]
_JWT_IDS = [f.id for f in JWT_FORGERIES]


def _forge(forgery: Forgery, token: str, scene: Scene) -> str:
    forged = forgery.make(token, scene)
    assert forged != token  # even the control: ES256 signatures are randomized
    return forged


def test_the_forgery_family_leads_with_its_control_and_every_id_is_unique(scene: Scene) -> None:
    kid = header_of(scene.app)["kid"]
    assert set(hmac_secrets_from_jwks(scene.jwks_text, kid)) == set(HMAC_SECRET_ENCODINGS)
    assert JWT_FORGERIES[0].accepted
    assert not any(f.accepted for f in JWT_FORGERIES[1:])
    assert len(set(_JWT_IDS)) == len(_JWT_IDS)


@pytest.mark.parametrize("forgery", JWT_FORGERIES, ids=_JWT_IDS)
def test_a_forged_app_token_cannot_read_an_account(scene: Scene, forgery: Forgery) -> None:
    forged = _forge(forgery, scene.app, scene)

    result = scene.call("GET", f"{ACCOUNTS}/{scene.account_id}", token=forged)

    if forgery.accepted:
        assert ok(result)["id"] == scene.account_id
    else:
        body = assert_error(result, 401, "UNAUTHORIZED")
        assert EMAIL not in result.text
        assert body["correlationId"] == result.headers["x-vol-correlation"]


@pytest.mark.parametrize("forgery", JWT_FORGERIES, ids=_JWT_IDS)
def test_a_forged_app_token_cannot_sign_a_shopper_in_and_writes_nothing(
    scene: Scene, forgery: Forgery
) -> None:
    forged = _forge(forgery, scene.app, scene)
    before = scene.world.scan()

    result = scene.call("POST", SIGN_IN, sign_in_body(), token=forged)

    if forgery.accepted:
        assert ok(result)["customerAccount"]["id"] == scene.account_id
        assert scene.world.scan() != before  # the control's session: the scan sees writes
    else:
        assert_error(result, 401, "UNAUTHORIZED")
        assert scene.world.scan() == before


@pytest.mark.parametrize("forgery", JWT_FORGERIES, ids=_JWT_IDS)
def test_a_forged_shopper_jwt_cannot_read_the_current_account(scene: Scene, forgery: Forgery) -> None:
    forged = _forge(forgery, scene.ticket["jwtAccessToken"], scene)

    result = scene.call("GET", CURRENT, token=forged)

    if forgery.accepted:
        assert ok(result)["id"] == scene.account_id
    else:
        assert_error(result, 401, "UNAUTHORIZED")
        assert EMAIL not in result.text


@pytest.mark.parametrize(
    "forgery",
    [
        f
        for f in JWT_FORGERIES
        if f.accepted or f.id in {"alg-none", "hs256-public-key-pem", "other-key-our-kid"}
    ],
    ids=lambda f: f.id,
)
def test_a_forged_app_token_in_x_vol_app_claims_is_refused_too(scene: Scene, forgery: Forgery) -> None:
    forged = _forge(forgery, scene.app, scene)
    before = scene.world.scan()

    result = scene.call("POST", SIGN_IN, sign_in_body(), headers={"x-vol-app-claims": forged})

    if forgery.accepted:
        ok(result)
    else:
        assert_error(result, 401, "UNAUTHORIZED")
        assert scene.world.scan() == before


def test_a_tampered_behavior_list_does_not_raise_a_reader_to_signing_in(scene: Scene) -> None:
    reader = scene.world.app_token("reader")
    before = scene.world.scan()
    # The genuine reader token: valid but lacking the behavior, so 403 (the contract's one 403 here).
    assert_error(scene.call("POST", SIGN_IN, sign_in_body(), token=reader), 403, "FORBIDDEN")
    escalated = tampered(reader, {"behaviors": sorted({*claims_of(scene.app)["behaviors"]})})

    result = scene.call("POST", SIGN_IN, sign_in_body(), token=escalated)

    assert_error(result, 401, "UNAUTHORIZED")
    assert scene.world.scan() == before


def test_signed_tokens_stop_working_when_their_lifetime_ends(scene: Scene) -> None:
    jwt_access, opaque = scene.ticket["jwtAccessToken"], scene.ticket["accessToken"]
    access_seconds = claims_of(jwt_access)["exp"] - claims_of(jwt_access)["iat"]
    app_seconds = claims_of(scene.app)["exp"] - claims_of(scene.app)["iat"]
    assert 0 < access_seconds < app_seconds

    scene.clock.advance(seconds=access_seconds - 1)
    assert ok(scene.call("GET", CURRENT, token=jwt_access))["id"] == scene.account_id
    assert ok(scene.call("GET", CURRENT, token=scene.app, headers={"x-vol-user-claims": opaque}))

    scene.clock.advance(seconds=1)
    assert_error(scene.call("GET", CURRENT, token=jwt_access), 401, "UNAUTHORIZED")
    assert_error(
        scene.call("GET", CURRENT, token=scene.app, headers={"x-vol-user-claims": opaque}),
        401,
        "UNAUTHORIZED",
    )

    scene.clock.advance(seconds=app_seconds - access_seconds - 1)
    assert ok(scene.call("GET", f"{ACCOUNTS}/{scene.account_id}", token=scene.app))
    scene.clock.advance(seconds=1)
    assert_error(scene.call("GET", f"{ACCOUNTS}/{scene.account_id}", token=scene.app), 401, "UNAUTHORIZED")


# -- opaque shopper tokens: the locator and the secret part, altered ----------------------------------
Alter = Callable[[str, dict[str, Any], dict[str, Any], str], str]
"""(token, its ticket, the bystander's ticket, the ticket field the token came from) -> altered."""


@dataclass(frozen=True)
class Alteration:
    id: str
    make: Alter
    accepted: bool = False


def _parts(token: str) -> list[str]:
    parts = token.split(".")
    assert len(parts) == 4, token
    return parts


def _relocated(
    tenant: Callable[[str], str] = str, account: Callable[[str], str] = str, sid: Callable[[str], str] = str
) -> Alter:
    """The locator's parts passed through the given functions, the secret part kept."""

    def make(token: str, *_: Any) -> str:
        t, a, s, secret = _parts(token)
        return ".".join([tenant(t), account(a), sid(s), secret])

    return make


def _with_parts_of_bystander(*indices: int) -> Alter:
    def make(token: str, _: dict[str, Any], theirs: dict[str, Any], field: str) -> str:
        mine, other = _parts(token), _parts(theirs[field])
        return ".".join(other[i] if i in indices else mine[i] for i in range(4))

    return make


def _secret_char_changed(index: int) -> Alter:
    def make(token: str, *_: Any) -> str:
        t, a, s, secret = _parts(token)
        changed = "A" if secret[index] != "A" else "B"
        return ".".join([t, a, s, secret[:index] + changed + secret[index + 1 :]])

    return make


def _the_tickets_other_opaque_token(_: str, mine: dict[str, Any], __: dict[str, Any], field: str) -> str:
    token: str = mine["refreshToken" if field == "accessToken" else "accessToken"]
    return token


OPAQUE_ALTERATIONS = [
    Alteration("control-unchanged", lambda token, *_: token, accepted=True),
    Alteration("locator-another-shoppers-account", _with_parts_of_bystander(1)),
    Alteration("locator-another-shoppers-account-and-session", _with_parts_of_bystander(1, 2)),
    Alteration("locator-tenant-300", _relocated(tenant=lambda _: str(OTHER_TENANT_ID))),
    Alteration("locator-random-session", _relocated(sid=lambda _: secrets.token_hex(16))),
    Alteration("locator-session-upper-case", _relocated(sid=str.upper)),
    Alteration("locator-account-zero-padded", _relocated(account=lambda account: "0" + account)),
    Alteration("secret-first-char-changed", _secret_char_changed(0)),
    Alteration("secret-last-char-changed", _secret_char_changed(-1)),
    Alteration(
        "secret-replaced", lambda token, *_: ".".join([*_parts(token)[:3], secrets.token_urlsafe(32)])
    ),
    Alteration("secret-of-another-shopper", _with_parts_of_bystander(3)),
    Alteration("truncated-by-one", lambda token, *_: token[:-1]),
    Alteration("truncated-to-the-locator", lambda token, *_: token.rsplit(".", 1)[0] + "."),
    Alteration("the-secret-part-alone", lambda token, *_: _parts(token)[3]),
    Alteration("one-char-appended", lambda token, *_: token + "A"),
    Alteration("the-tickets-other-opaque-token", _the_tickets_other_opaque_token),
]
_OPAQUE_IDS = [a.id for a in OPAQUE_ALTERATIONS]


def _alter(alteration: Alteration, scene: Scene, bystander: dict[str, Any], field: str) -> str:
    return alteration.make(scene.ticket[field], scene.ticket, bystander, field)


@pytest.mark.parametrize("alteration", OPAQUE_ALTERATIONS, ids=_OPAQUE_IDS)
def test_an_altered_access_token_in_user_claims_names_no_shopper(
    scene: Scene, bystander: dict[str, Any], alteration: Alteration
) -> None:
    token = _alter(alteration, scene, bystander, "accessToken")

    result = scene.call("GET", CURRENT, token=scene.app, headers={"x-vol-user-claims": token})

    if alteration.accepted:
        assert ok(result)["id"] == scene.account_id
    else:
        assert_error(result, 401, "UNAUTHORIZED")
        assert EMAIL not in result.text
        assert BYSTANDER_EMAIL not in result.text


@pytest.mark.parametrize("channel", ["body", "query"])
@pytest.mark.parametrize("alteration", OPAQUE_ALTERATIONS, ids=_OPAQUE_IDS)
def test_an_altered_refresh_token_refreshes_nothing_and_writes_nothing(
    scene: Scene, bystander: dict[str, Any], alteration: Alteration, channel: str
) -> None:
    token = _alter(alteration, scene, bystander, "refreshToken")
    before = scene.world.scan()

    if channel == "body":
        result = scene.call("PUT", REFRESH, {"refreshToken": token}, token=scene.app)
    else:
        result = scene.call("PUT", REFRESH, token=scene.app, query={"refreshToken": token})

    if alteration.accepted:
        assert ok(result)["customerAccount"]["id"] == scene.account_id
        assert scene.world.scan() != before
    else:
        assert_error(result, 401, "INVALID_TOKEN")
        assert scene.world.scan() == before


@pytest.mark.parametrize("alteration", OPAQUE_ALTERATIONS, ids=_OPAQUE_IDS)
def test_an_altered_refresh_token_logs_nobody_out(
    scene: Scene, bystander: dict[str, Any], alteration: Alteration
) -> None:
    token = _alter(alteration, scene, bystander, "refreshToken")
    before = scene.world.scan()

    result = scene.call(
        "DELETE", SIGN_IN, {"refreshToken": token}, token=scene.app, query={"scope": "global"}
    )

    if alteration.accepted:
        assert result.status == 204, result.text
        assert scene.world.scan() != before
    else:
        assert_error(result, 401, "INVALID_TOKEN")
        assert scene.world.scan() == before
        for ticket in (scene.ticket, bystander):  # both shoppers are still signed in
            live = scene.call(
                "GET", CURRENT, token=scene.app, headers={"x-vol-user-claims": ticket["accessToken"]}
            )
            assert live.status == 200, live.text


def _set_two_factor_always() -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, two_factor_policy=TwoFactorPolicy(always=True)))


@pytest.mark.parametrize(
    "alteration",
    [a for a in OPAQUE_ALTERATIONS if a.id != "the-tickets-other-opaque-token"],
    ids=lambda a: a.id,
)
def test_an_altered_waiting_access_token_gets_no_two_factor_code(
    scene: Scene, bystander: dict[str, Any], alteration: Alteration
) -> None:
    _set_two_factor_always()
    waiting = ok(scene.call("POST", SIGN_IN, sign_in_body(), token=scene.app))
    assert waiting["requires2FA"] is True
    token = alteration.make(waiting["accessToken"], waiting, bystander, "accessToken")
    before = scene.world.scan()

    result = scene.call("POST", REQUEST_CODE, token=scene.app, headers={"x-vol-user-claims": token})

    if alteration.accepted:
        assert result.status == 204, result.text
        assert len(scene.world.mailer.codes()) == 1
    else:
        assert_error(result, 401, "UNAUTHORIZED")
        assert scene.world.scan() == before
        assert scene.world.mailer.codes() == []


def test_a_full_sessions_access_token_gets_no_two_factor_code(scene: Scene) -> None:
    before = scene.world.scan()

    result = scene.call(
        "POST", REQUEST_CODE, token=scene.app, headers={"x-vol-user-claims": scene.ticket["accessToken"]}
    )

    assert_error(result, 401, "UNAUTHORIZED")
    assert scene.world.scan() == before
    assert scene.world.mailer.codes() == []


# -- a token of the wrong kind ----------------------------------------------------------------------
@pytest.mark.parametrize("field", ["jwtAccessToken", "accessToken", "refreshToken"])
def test_a_shopper_token_is_not_an_app_token(scene: Scene, field: str) -> None:
    shopper_token = scene.ticket[field]
    before = scene.world.scan()

    read = scene.call("GET", f"{ACCOUNTS}/{scene.account_id}", token=shopper_token)
    signed_in = scene.call("POST", SIGN_IN, sign_in_body(), token=shopper_token)
    added = scene.call("POST", ACCOUNTS, {"emailAddress": "new@example.com"}, token=shopper_token)

    for result in (read, signed_in, added):
        assert_error(result, 401, "UNAUTHORIZED")
    assert scene.world.scan() == before


def test_an_app_token_is_not_a_shopper_token(scene: Scene) -> None:
    alone = scene.call("GET", CURRENT, token=scene.app)
    as_user_claims = scene.call("GET", CURRENT, token=scene.app, headers={"x-vol-user-claims": scene.app})

    assert_error(alone, 401, "UNAUTHORIZED")
    assert_error(as_user_claims, 401, "UNAUTHORIZED")


def test_a_shopper_jwt_in_user_claims_is_not_an_opaque_access_token(scene: Scene) -> None:
    result = scene.call(
        "GET", CURRENT, token=scene.app, headers={"x-vol-user-claims": scene.ticket["jwtAccessToken"]}
    )

    assert_error(result, 401, "UNAUTHORIZED")


def test_app_tokens_and_shopper_access_tokens_are_not_refresh_tokens(scene: Scene) -> None:
    full = scene.world.clients["full"]
    issued = ok(
        scene.call(
            "POST",
            OAUTH,
            {"client_id": full.client_id, "client_secret": full.secret, "grant_type": "client_credentials"},
        )
    )
    before = scene.world.scan()

    for not_a_refresh_token in (
        issued["access_token"],
        issued["refresh_token"],
        scene.ticket["accessToken"],
        scene.ticket["jwtAccessToken"],
    ):
        result = scene.call("PUT", REFRESH, {"refreshToken": not_a_refresh_token}, token=scene.app)
        if len(not_a_refresh_token) > MAX_REFRESH_TOKEN_CHARS:  # a JWT: too long to be one (400)
            assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", field="refreshToken")
        else:
            assert_error(result, 401, "INVALID_TOKEN")
    assert scene.world.scan() == before


def test_a_shopper_refresh_token_does_not_renew_an_app_token(scene: Scene) -> None:
    full = scene.world.clients["full"]
    before = scene.world.scan()

    result = scene.call(
        "POST",
        OAUTH,
        {
            "client_id": full.client_id,
            "client_secret": full.secret,
            "grant_type": "refresh_token",
            "refresh_token": scene.ticket["refreshToken"],
        },
    )

    assert_error(result, 401, "INVALID_CREDENTIALS")
    assert "access_token" not in result.text
    assert scene.world.scan() == before


# -- another tenant's valid tokens on tenant 100 ------------------------------------------------------
def _without_tenant_headers(scene: Scene) -> Api:
    return Api(scene.world.api.router)


def test_another_tenants_app_token_with_our_tenant_header_is_forbidden_and_writes_nothing(
    scene: Scene,
) -> None:
    foreign = scene.world.app_token("other")
    guest_id = scene.world.add_account(scene.app, emailAddress="guest@example.com")["id"]
    before = scene.world.scan()

    results = {
        "get account": scene.call("GET", f"{ACCOUNTS}/{scene.account_id}", token=foreign),
        "sign in": scene.call("POST", SIGN_IN, sign_in_body(), token=foreign),
        "add account": scene.call("POST", ACCOUNTS, {"emailAddress": "x@example.com"}, token=foreign),
        "create login": scene.call(
            "POST",
            f"{ACCOUNTS}/{guest_id}/Create-Login",
            {"emailAddress": "guest@example.com", "password": PASSWORD},
            token=foreign,
        ),
        "refresh": scene.call("PUT", REFRESH, {"refreshToken": scene.ticket["refreshToken"]}, token=foreign),
        "tenant data": scene.call("GET", f"/api/platform/tenants/{TENANT_ID}", token=foreign),
    }

    for name, result in results.items():
        assert result.status == 403, (name, result.text)
        assert_error(result, 403, "FORBIDDEN")
    assert scene.world.scan() == before


def test_another_tenants_app_token_without_a_tenant_header_reaches_nothing_of_ours(scene: Scene) -> None:
    foreign = scene.world.app_token("other")
    guest_id = scene.world.add_account(scene.app, emailAddress="guest@example.com")["id"]
    api = _without_tenant_headers(scene)
    account = f"{ACCOUNTS}/{scene.account_id}"
    before = scene.world.scan()

    assert_error(api.call("GET", account, token=foreign), 404, "ITEM_NOT_FOUND")
    assert_error(api.call("GET", f"{account}/loginstate", token=foreign), 404, "ITEM_NOT_FOUND")
    assert_error(api.call("POST", SIGN_IN, sign_in_body(), token=foreign), 401, "INVALID_CREDENTIALS")
    assert_error(
        api.call(
            "POST",
            f"{ACCOUNTS}/{guest_id}/Create-Login",
            {"emailAddress": "guest@example.com", "password": PASSWORD},
            token=foreign,
        ),
        404,
        "ITEM_NOT_FOUND",
    )
    assert_error(
        api.call(
            "POST",
            f"{account}/Change-Password",
            {"oldPassword": PASSWORD, "newPassword": "another long passphrase"},
            token=foreign,
        ),
        404,
        "ITEM_NOT_FOUND",
    )
    assert_error(api.call("POST", f"{account}/Set-Login-Locked", True, token=foreign), 404, "ITEM_NOT_FOUND")
    assert_error(
        api.call("PUT", REFRESH, {"refreshToken": scene.ticket["refreshToken"]}, token=foreign),
        401,
        "INVALID_TOKEN",
    )
    assert_error(
        api.call("DELETE", SIGN_IN, {"refreshToken": scene.ticket["refreshToken"]}, token=foreign),
        401,
        "INVALID_TOKEN",
    )
    assert_error(
        api.call("GET", CURRENT, token=foreign, headers={"x-vol-user-claims": scene.ticket["accessToken"]}),
        401,
        "UNAUTHORIZED",
    )
    assert_error(api.call("GET", f"/api/platform/tenants/{TENANT_ID}", token=foreign), 403, "FORBIDDEN")
    assert scene.world.scan() == before
    # and our shopper is still signed in
    assert ok(scene.call("GET", CURRENT, token=scene.ticket["jwtAccessToken"]))["id"] == scene.account_id


def test_another_tenants_shopper_jwt_is_forbidden_under_our_tenant_header(
    scene: Scene, foreigner: dict[str, Any]
) -> None:
    jwt_access = foreigner["jwtAccessToken"]
    # the control: in its own tenant it names its own account
    assert (
        ok(scene.call("GET", CURRENT, token=jwt_access, headers=FOREIGN_HEADERS))["emailAddress"]
        == FOREIGN_EMAIL
    )

    result = scene.call("GET", CURRENT, token=jwt_access)

    assert_error(result, 403, "FORBIDDEN")
    assert FOREIGN_EMAIL not in result.text


def test_another_tenants_shopper_jwt_without_a_tenant_header_names_only_its_own_account(
    scene: Scene, foreigner: dict[str, Any]
) -> None:
    api = _without_tenant_headers(scene)
    jwt_access = foreigner["jwtAccessToken"]

    own = ok(api.call("GET", CURRENT, token=jwt_access))
    ours = api.call("GET", f"{ACCOUNTS}/{scene.account_id}", token=jwt_access)

    assert own["id"] == foreigner["customerAccount"]["id"]
    assert own["id"] != scene.account_id
    assert_error(ours, 401, "UNAUTHORIZED")
    assert EMAIL not in ours.text


def test_another_tenants_opaque_tokens_are_refused_beside_our_app_token(
    scene: Scene, foreigner: dict[str, Any]
) -> None:
    before = scene.world.scan()

    current = scene.call(
        "GET", CURRENT, token=scene.app, headers={"x-vol-user-claims": foreigner["accessToken"]}
    )
    refreshed = scene.call("PUT", REFRESH, {"refreshToken": foreigner["refreshToken"]}, token=scene.app)
    by_query = scene.call("PUT", REFRESH, token=scene.app, query={"refreshToken": foreigner["refreshToken"]})
    logged_out = scene.call("DELETE", SIGN_IN, {"refreshToken": foreigner["refreshToken"]}, token=scene.app)

    assert_error(current, 401, "UNAUTHORIZED")
    for result in (refreshed, by_query, logged_out):
        assert_error(result, 401, "INVALID_TOKEN")
    assert scene.world.scan() == before
    # the foreign refresh token still works in its own tenant: the refusals revoked nothing
    other_app = scene.world.app_token("other")
    again = scene.call(
        "PUT", REFRESH, {"refreshToken": foreigner["refreshToken"]}, token=other_app, headers=FOREIGN_HEADERS
    )
    assert ok(again)["customerAccount"]["emailAddress"] == FOREIGN_EMAIL


def test_another_tenants_refresh_token_relocated_to_our_tenant_is_refused(
    scene: Scene, foreigner: dict[str, Any]
) -> None:
    _, account, sid, secret = _parts(foreigner["refreshToken"])
    relocated = ".".join([str(TENANT_ID), account, sid, secret])
    before = scene.world.scan()

    result = scene.call("PUT", REFRESH, {"refreshToken": relocated}, token=scene.app)

    assert_error(result, 401, "INVALID_TOKEN")
    assert scene.world.scan() == before


# -- anonymous shopper tokens: never a customer's ----------------------------------------------------
ANONYMOUS = f"{SIGN_IN}/anonymousshopper"


@pytest.fixture
def anonymous(scene: Scene) -> dict[str, Any]:
    """An anonymous shopper's ticket in the scene's tenant."""
    return ok(scene.call("GET", ANONYMOUS, token=scene.app))


def test_an_anonymous_access_token_or_jwt_never_reads_a_customers_account(
    scene: Scene, anonymous: dict[str, Any]
) -> None:
    by_claims = scene.call(
        "GET", CURRENT, token=scene.app, headers={"x-vol-user-claims": anonymous["accessToken"]}
    )
    by_jwt = scene.call("GET", CURRENT, token=anonymous["jwtAccessToken"])

    for result in (by_claims, by_jwt):
        assert_error(result, 401, "UNAUTHORIZED")
        assert EMAIL not in result.text


@pytest.mark.parametrize(
    "claims",
    [
        {"account_id": "target"},
        {"account_id": "target", "https://www.kibocommerce.com/user_claims": {"anon": "0"}},
    ],
    ids=["names-the-customers-account", "and-says-not-anonymous"],
)
def test_an_anonymous_jwt_made_to_name_a_customer_is_refused_even_signed_with_our_key(
    scene: Scene, anonymous: dict[str, Any], claims: dict[str, Any]
) -> None:
    """Tampered, its signature fails; re-signed with our own key (as if the key had leaked), it
    names the anonymous session, which lives under no account: still no customer's data."""
    changes = {name: scene.account_id if value == "target" else value for name, value in claims.items()}
    for token in (
        tampered(anonymous["jwtAccessToken"], changes),
        resigned(anonymous["jwtAccessToken"], None, changes),
    ):
        result = scene.call("GET", CURRENT, token=token)

        assert_error(result, 401, "UNAUTHORIZED")
        assert EMAIL not in result.text


@pytest.mark.parametrize("alteration", OPAQUE_ALTERATIONS, ids=_OPAQUE_IDS)
def test_an_altered_anonymous_refresh_token_refreshes_nothing_and_writes_nothing(
    scene: Scene, anonymous: dict[str, Any], bystander: dict[str, Any], alteration: Alteration
) -> None:
    token = alteration.make(anonymous["refreshToken"], anonymous, bystander, "refreshToken")
    before = scene.world.scan()

    result = scene.call("PUT", REFRESH, {"refreshToken": token}, token=scene.app)

    if alteration.accepted:
        refreshed = ok(result)
        assert "customerAccount" not in refreshed
        assert refreshed["userId"] == anonymous["userId"]
    else:
        assert_error(result, 401, "INVALID_TOKEN")
        assert scene.world.scan() == before


def test_a_customers_refresh_token_relabelled_anonymous_is_refused_and_writes_nothing(scene: Scene) -> None:
    tenant, _, sid, secret = _parts(scene.ticket["refreshToken"])
    before = scene.world.scan()

    result = scene.call(
        "PUT", REFRESH, {"refreshToken": ".".join([tenant, "0", sid, secret])}, token=scene.app
    )

    assert_error(result, 401, "INVALID_TOKEN")
    assert scene.world.scan() == before
