"""Attacks on password-reset confirmation codes (docs/contract.md §9) through the handlers: altered,
truncated, extended, re-encoded, stored-digest, other-login and other-tenant codes all get the one
401 and change nothing but the live code's tries; a positive control proves the code was good."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.support.assertions import assert_error
from tests.support.fixtures import OTHER_TENANT_ID, HttpResult, World

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "an attacker's passphrase 9"
EMAIL = "target@example.com"
BYSTANDER = "bystander@example.com"
ACCOUNTS = "/api/commerce/customer/accounts"


@dataclass
class Scene:
    world: World
    app: str
    code: str
    bystander_code: str

    def update(self, code: str, user: str = EMAIL, token: str | None = None, **headers: str) -> HttpResult:
        body = {"userName": user, "confirmationCode": code, "newPassword": NEW_PASSWORD}
        path = f"{ACCOUNTS}/Update-Forgotten-Password"
        return self.world.api.call("POST", path, body, token=token or self.app, headers=headers)


def _login(world: World, app: str, email: str) -> None:
    account_id = world.add_account(app, emailAddress=email)["id"]
    assert (
        world.create_login(account_id, {"emailAddress": email, "password": PASSWORD}, token=app).status == 200
    )


def _code(world: World, app: str, email: str) -> str:
    world.mailer.events()
    path = f"{ACCOUNTS}/Reset-Password"
    assert world.api.call("POST", path, {"emailAddress": email}, token=app).status == 200
    (code,) = world.mailer.reset_codes()
    return code


@pytest.fixture
def scene(world: World) -> Scene:
    app = world.app_token()
    _login(world, app, EMAIL)
    _login(world, app, BYSTANDER)
    return Scene(world, app, _code(world, app, EMAIL), _code(world, app, BYSTANDER))


def _flip(code: str, at: int) -> str:
    return code[:at] + ("A" if code[at] != "A" else "B") + code[at + 1 :]


ATTACKS: dict[str, Callable[[Scene], str]] = {
    "first character changed": lambda s: _flip(s.code, 0),
    "last character changed": lambda s: _flip(s.code, len(s.code) - 1),
    "truncated by one": lambda s: s.code[:-1],
    "half": lambda s: s.code[: len(s.code) // 2],
    "extended by one": lambda s: s.code + "A",
    "doubled": lambda s: s.code * 2,
    "upper-cased": lambda s: s.code.upper() if s.code.upper() != s.code else s.code.lower(),
    "padded with spaces": lambda s: f" {s.code} ",
    "standard base64 alphabet": lambda s: s.code.replace("-", "+").replace("_", "/") + "=",
    "the stored digest": lambda s: hashlib.sha256(s.code.encode()).hexdigest(),
    "another login's code": lambda s: s.bystander_code,
    "empty after trimming": lambda s: " ",
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_an_altered_or_foreign_code_changes_no_password(scene: Scene, attack: str) -> None:
    before = [i for i in scene.world.scan() if i["sk"]["S"] == "LOGIN"]

    assert_error(scene.update(ATTACKS[attack](scene)), 401, "INVALID_CREDENTIALS")

    assert [i for i in scene.world.scan() if i["sk"]["S"] == "LOGIN"] == before
    assert scene.update(scene.code).status == 200, "the positive control: the real code still works"


def test_a_code_is_only_good_for_its_own_login(scene: Scene) -> None:
    assert_error(scene.update(scene.code, user=BYSTANDER), 401, "INVALID_CREDENTIALS")
    assert_error(scene.update(scene.bystander_code, user=EMAIL), 401, "INVALID_CREDENTIALS")
    assert scene.update(scene.code).status == 200
    assert scene.update(scene.bystander_code, user=BYSTANDER).status == 200


def test_another_tenants_app_cannot_redeem_our_code(scene: Scene) -> None:
    other = scene.world.app_token("other")
    assert_error(scene.update(scene.code, token=other), 403, "FORBIDDEN")
    refused = scene.update(
        scene.code, token=other, **{"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"}
    )
    assert_error(refused, 401, "INVALID_CREDENTIALS")
    assert scene.update(scene.code).status == 200


def test_an_oversized_code_is_a_400_and_spends_no_try(scene: Scene) -> None:
    assert_error(scene.update("A" * 513), 400, "MISSING_OR_INVALID_PARAMETER", "confirmationCode")
    for _ in range(4):
        assert_error(scene.update(_flip(scene.code, 3)), 401, "INVALID_CREDENTIALS")
    assert scene.update(scene.code).status == 200, "the oversized code cost no try: one was left"
