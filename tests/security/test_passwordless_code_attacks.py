"""Attacks on passwordless sign-in codes (issue 17) through the handlers: guessing is bounded by the
code's three tries and the login's lock, a used code does not replay, another login's code and a
replaced or expired code open nothing, and the stored digest is not a code; every refusal is the
one 401, and a positive control proves the code was good."""

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.policies import SignInPolicy
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import OTHER_TENANT_ID, TENANT_ID, FrozenClock, HttpResult, World

PASSWORD = "correct horse battery staple"
EMAIL = "target@example.com"
BYSTANDER = "bystander@example.com"
AUTHTICKETS = "/api/commerce/customer/authtickets"


@dataclass
class Scene:
    world: World
    app: str
    code: str
    bystander_code: str

    def sign_in(
        self,
        code: str,
        email: str = EMAIL,
        token: str | None = None,
        fingerprint: str | None = None,
        **headers: str,
    ) -> HttpResult:
        body = {"email": email, "otpCode": code, "fingerprint": fingerprint}
        return self.world.api.call(
            "POST", f"{AUTHTICKETS}/otp/auth", body, token=token or self.app, headers=headers
        )

    def ask(self, email: str = EMAIL) -> str:
        self.world.mailer.events()
        asked = self.world.api.call("POST", f"{AUTHTICKETS}/otp/request", {"email": email}, token=self.app)
        assert asked.status == 204, asked.text
        (code,) = self.world.mailer.otp_sign_in_codes()
        return code


def _switch_on(**policy: int) -> None:
    store = runtime.store()
    for tenant_id in (TENANT_ID, OTHER_TENANT_ID):
        tenant = store.get_tenant(tenant_id)
        assert tenant is not None
        provision_tenant(
            store, replace(tenant, sign_in_policy=SignInPolicy(passwordless_sign_in=True, **policy))
        )


def _login(world: World, app: str, email: str) -> None:
    account_id = world.add_account(app, emailAddress=email)["id"]
    body = {"emailAddress": email, "password": PASSWORD, "fingerprint": f"{email} laptop"}
    assert world.create_login(account_id, body, token=app).status == 200


@pytest.fixture
def scene(world: World, clock: FrozenClock) -> Scene:
    """Two logins with a live code each, issued on the test's clock."""
    _switch_on()
    app = world.app_token()
    _login(world, app, EMAIL)
    _login(world, app, BYSTANDER)
    partial = Scene(world, app, "", "")
    return replace(partial, code=partial.ask(EMAIL), bystander_code=partial.ask(BYSTANDER))


def _wrong(code: str, by: int = 1) -> str:
    return f"{(int(code) + by) % 1_000_000:06d}"


def _stored_digest(world: World) -> str:
    (item,) = [
        i
        for i in world.scan()
        if i["sk"]["S"] == "CODE#OTP" and i["accountId"]["N"] == str(_account_of(world, EMAIL))
    ]
    return str(item["codeDigest"]["S"])


def _account_of(world: World, email: str) -> int:
    (login,) = [i for i in world.scan() if i["sk"]["S"] == "LOGIN" and i.get("email", {}).get("S") == email]
    return int(login["accountId"]["N"])


ATTACKS: dict[str, Callable[[Scene], str]] = {
    "first digit changed": lambda s: _wrong(s.code, 100_000),
    "last digit changed": lambda s: _wrong(s.code),
    "another login's code": lambda s: s.bystander_code if s.bystander_code != s.code else _wrong(s.code),
    "all zeros": lambda s: "000000" if s.code != "000000" else "999999",
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_an_altered_or_foreign_code_signs_nobody_in(scene: Scene, attack: str) -> None:
    assert_error(scene.sign_in(ATTACKS[attack](scene)), 401, "INVALID_CREDENTIALS")
    assert ok(scene.sign_in(scene.code))["requires2FA"] is False, "the positive control"


@pytest.mark.parametrize(
    "shape", ["the stored digest", "the digest's MAC", "padded", "seven digits", "fullwidth"]
)
def test_a_code_of_another_shape_is_a_400_and_spends_no_try(scene: Scene, shape: str) -> None:
    digest = _stored_digest(scene.world)
    candidate = {
        "the stored digest": digest,
        "the digest's MAC": digest.rpartition(":")[2],
        "padded": f" {scene.code} ",
        "seven digits": scene.code + "0",
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in scene.code),
    }[shape]
    assert_error(scene.sign_in(candidate), 400, "MISSING_OR_INVALID_PARAMETER", "otpCode")
    for _ in range(2):
        assert_error(scene.sign_in(_wrong(scene.code)), 401, "INVALID_CREDENTIALS")
    assert scene.sign_in(scene.code).status == 200, "the malformed code cost no try: one was left"


def test_brute_force_gets_three_tries_per_code_and_then_the_lock(scene: Scene, clock: FrozenClock) -> None:
    """Each code allows three guesses; guesses are failed sign-ins, so after the tenant's limit the
    lock stops even the right code from that kind of client, whatever new codes are sent."""
    guesses = iter(_wrong(scene.code, n) for n in range(1, 100))
    for _ in range(3):
        assert_error(scene.sign_in(next(guesses)), 401, "INVALID_CREDENTIALS")
    assert_error(scene.sign_in(scene.code), 401, "INVALID_CREDENTIALS")  # spent by three wrong tries
    clock.advance(minutes=1, seconds=1)
    code = scene.ask()
    guesses = iter(_wrong(code, n) for n in range(1, 100))
    for _ in range(2):  # five failures in all: the untrusted clients' lock
        assert_error(scene.sign_in(next(guesses)), 401, "INVALID_CREDENTIALS")
    assert_error(scene.sign_in(code), 401, "INVALID_CREDENTIALS")  # locked: the right code is refused
    state = ok(
        scene.world.api.call(
            "GET",
            f"/api/commerce/customer/accounts/{_account_of(scene.world, EMAIL)}/loginstate",
            token=scene.app,
        )
    )
    assert state["isLocked"] is True
    assert state["failedLoginAttemptCount"] == 5
    # The customer's own trusted laptop is not locked out by the attacker's guesses.
    assert scene.sign_in(code, fingerprint=f"{EMAIL} laptop").status == 200


def test_a_used_code_does_not_replay(scene: Scene) -> None:
    assert scene.sign_in(scene.code).status == 200
    assert_error(scene.sign_in(scene.code), 401, "INVALID_CREDENTIALS")
    assert_error(scene.sign_in(scene.code, fingerprint="another device"), 401, "INVALID_CREDENTIALS")


def test_a_code_is_only_good_for_its_own_login(scene: Scene) -> None:
    if scene.code != scene.bystander_code:
        assert_error(scene.sign_in(scene.code, email=BYSTANDER), 401, "INVALID_CREDENTIALS")
        assert_error(scene.sign_in(scene.bystander_code, email=EMAIL), 401, "INVALID_CREDENTIALS")
    mine = ok(scene.sign_in(scene.code))
    theirs = ok(scene.sign_in(scene.bystander_code, email=BYSTANDER))
    assert mine["customerAccount"]["emailAddress"] == EMAIL
    assert theirs["customerAccount"]["emailAddress"] == BYSTANDER


def test_a_digest_copied_to_another_login_opens_nothing(scene: Scene) -> None:
    """Whoever can write the table cannot move a known code to another login: the digest covers
    the login it was sent to."""
    world = scene.world
    target, bystander = _account_of(world, EMAIL), _account_of(world, BYSTANDER)
    items = {int(i["accountId"]["N"]): i for i in world.scan() if i["sk"]["S"] == "CODE#OTP"}
    stolen = {**items[bystander], "codeDigest": items[target]["codeDigest"]}
    world.dynamodb.put_item(TableName=world.table_name, Item=stolen)
    assert_error(scene.sign_in(scene.code, email=BYSTANDER), 401, "INVALID_CREDENTIALS")


def test_an_expired_code_is_refused(scene: Scene, clock: FrozenClock) -> None:
    clock.advance(minutes=5)
    assert_error(scene.sign_in(scene.code), 401, "INVALID_CREDENTIALS")


def test_a_new_request_voids_the_last_code(scene: Scene, clock: FrozenClock) -> None:
    clock.advance(minutes=1, seconds=1)
    new = scene.ask()
    if new != scene.code:
        assert_error(scene.sign_in(scene.code), 401, "INVALID_CREDENTIALS")
    assert scene.sign_in(new).status == 200


def test_another_tenants_app_cannot_redeem_our_code(scene: Scene) -> None:
    other = scene.world.app_token("other")
    assert_error(scene.sign_in(scene.code, token=other), 403, "FORBIDDEN")
    refused = scene.sign_in(
        scene.code, token=other, **{"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"}
    )
    assert_error(refused, 401, "INVALID_CREDENTIALS")
    assert scene.sign_in(scene.code).status == 200
