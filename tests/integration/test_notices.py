"""Security notices through the handlers: every route that changes a password announces it, a
sign-in from a new device or region does when the tenant asks, a deleted account does; each
event's detail is the documented one (docs/mail.md), carries no secret, and a notice that cannot
be put on the bus never undoes or fails the change it reports."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from tests.support.assertions import ok
from tests.support.fixtures import SITE_ID, TENANT_ID, World
from tests.support.mail import MailPipeline, logs_at_debug

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "analytical engine 1843"
EMAIL = "ada@example.com"
ACCOUNTS = "/api/commerce/customer/accounts"
TICKETS = "/api/commerce/customer/authtickets"
LAPTOP, PHONE = "laptop-cookie", "phone-cookie"
ABOUT = {"tenantId", "siteId", "accountId", "userId", "userName", "emailAddress"}


@pytest.fixture
def mail(world: World) -> Iterator[MailPipeline]:
    pipeline = MailPipeline()
    yield pipeline
    pipeline.close()


def _shopper(world: World) -> tuple[str, int, str]:
    """A login made from the laptop in GB (which it therefore trusts): app token, account, user."""
    app = world.app_token()
    account_id = world.add_account(app, emailAddress=EMAIL)["id"]
    body = {"emailAddress": EMAIL, "password": PASSWORD, "fingerprint": LAPTOP, "region": "GB"}
    created = ok(world.create_login(account_id, body, token=app))
    return app, account_id, created["customerAccount"]["userId"]


def _notices(mail: MailPipeline, detail_type: str) -> list[dict[str, Any]]:
    return [e["detail"] for e in mail.queued_events() if e["detail-type"] == detail_type]


def _expected(account_id: int, user_id: str, site_id: int | None = SITE_ID, **more: Any) -> dict[str, Any]:
    about = {
        "tenantId": TENANT_ID,
        "siteId": site_id,
        "accountId": account_id,
        "userId": user_id,
        "userName": EMAIL,
        "emailAddress": EMAIL,
    }
    return {**about, **more}


def _without_times(notice: dict[str, Any], name: str) -> dict[str, Any]:
    assert notice[name].endswith("+00:00"), notice[name]
    return {k: v for k, v in notice.items() if k != name}


def test_change_password_announces_the_change(world: World, mail: MailPipeline) -> None:
    app, account_id, user_id = _shopper(world)
    mail.queued_events()
    body = {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}

    changed = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Change-Password", body, token=app)

    assert changed.status == 204, changed.text
    (notice,) = _notices(mail, "PasswordChanged")
    assert _without_times(notice, "changedAt") == _expected(account_id, user_id, via="Change-Password")
    assert NEW_PASSWORD not in str(notice)


def test_a_wrong_old_password_announces_nothing(world: World, mail: MailPipeline) -> None:
    app, account_id, _ = _shopper(world)
    mail.queued_events()
    body = {"oldPassword": "not it at all", "newPassword": NEW_PASSWORD}

    assert world.api.call("POST", f"{ACCOUNTS}/{account_id}/Change-Password", body, token=app).status == 401
    assert _notices(mail, "PasswordChanged") == []


def test_update_forgotten_password_announces_the_change(world: World, mail: MailPipeline) -> None:
    app, account_id, user_id = _shopper(world)
    assert (
        world.api.call("POST", f"{ACCOUNTS}/Reset-Password", {"emailAddress": EMAIL}, token=app).status == 200
    )
    (code,) = world.mailer.reset_codes()
    mail.queued_events()
    body = {"userName": EMAIL, "confirmationCode": code, "newPassword": NEW_PASSWORD}

    assert world.api.call("POST", f"{ACCOUNTS}/Update-Forgotten-Password", body, token=app).status == 200

    (notice,) = _notices(mail, "PasswordChanged")
    assert _without_times(notice, "changedAt") == _expected(
        account_id, user_id, via="Update-Forgotten-Password"
    )
    assert code not in str(notice)


def test_change_passwords_announces_new_passwords_but_not_imported_hashes(
    world: World, mail: MailPipeline
) -> None:
    app, account_id, user_id = _shopper(world)
    mail.queued_events()
    new = {"items": [{"accountId": account_id, "passwordInfo": {"newPassword": NEW_PASSWORD}}]}
    imported_hash = "$2b$10$abcdefghijklmnopqrstuuJ9fV5l6V0R9x1qE3m8b3dJv1p9f2mRa"
    imported = {"items": [{"accountId": account_id, "passwordInfo": {"externalPassword": imported_hash}}]}

    changed = ok(world.api.call("POST", f"{ACCOUNTS}/Change-Passwords", new, token=app))
    assert changed["items"][0]["succeeded"] is True
    (notice,) = _notices(mail, "PasswordChanged")
    assert _without_times(notice, "changedAt") == _expected(account_id, user_id, via="Change-Passwords")

    migrated = ok(world.api.call("POST", f"{ACCOUNTS}/Change-Passwords", imported, token=app))
    assert migrated["items"][0]["succeeded"] is True, migrated
    assert _notices(mail, "PasswordChanged") == []  # a migration is not a change to tell the shopper of


def _sign_in(world: World, app: str, fingerprint: str | None, region: str | None) -> None:
    body = {"username": EMAIL, "password": PASSWORD, "fingerprint": fingerprint, "region": region}
    ok(world.api.call("POST", TICKETS, {k: v for k, v in body.items() if v is not None}, token=app))


def _new_device_notices(on: bool) -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(
        store, replace(tenant, sign_in_policy=replace(tenant.sign_in_policy, new_device_notice=on))
    )


def test_new_device_sign_in_notices_are_off_by_default(world: World, mail: MailPipeline) -> None:
    app, _, _ = _shopper(world)
    mail.queued_events()

    _sign_in(world, app, PHONE, "FR")

    assert _notices(mail, "NewDeviceSignIn") == []


def test_a_sign_in_from_a_device_or_region_the_login_does_not_trust_is_announced_when_asked(
    world: World, mail: MailPipeline
) -> None:
    app, account_id, user_id = _shopper(world)
    _new_device_notices(True)
    mail.queued_events()

    _sign_in(world, app, LAPTOP, "GB")  # where the login was made: trusted
    _sign_in(world, app, None, None)  # names nothing to compare
    assert _notices(mail, "NewDeviceSignIn") == []

    _sign_in(world, app, PHONE, "GB")
    (phone,) = _notices(mail, "NewDeviceSignIn")
    assert _without_times(phone, "signedInAt") == _expected(
        account_id, user_id, region="GB", newDevice=True, newRegion=False
    )
    assert PHONE not in str(phone)  # the fingerprint never leaves the service

    _sign_in(world, app, PHONE, "GB")  # trusted from its first sign-in on
    _sign_in(world, app, LAPTOP, "FR")
    (abroad,) = _notices(mail, "NewDeviceSignIn")
    assert (abroad["newDevice"], abroad["newRegion"], abroad["region"]) == (False, True, "FR")


def test_deleting_an_account_announces_it_to_its_address(world: World, mail: MailPipeline) -> None:
    app, account_id, user_id = _shopper(world)
    mail.queued_events()

    assert world.api.call("DELETE", f"{ACCOUNTS}/{account_id}", token=app).status == 204

    (notice,) = _notices(mail, "AccountDeleted")
    assert _without_times(notice, "deletedAt") == _expected(account_id, user_id)


def test_an_account_without_a_login_is_deleted_without_a_notice(world: World, mail: MailPipeline) -> None:
    app = world.app_token()
    account_id = world.add_account(app, emailAddress="guest@example.com")["id"]
    mail.queued_events()

    assert world.api.call("DELETE", f"{ACCOUNTS}/{account_id}", token=app).status == 204
    assert _notices(mail, "AccountDeleted") == []


def test_a_notice_the_bus_refuses_neither_fails_nor_undoes_the_change(
    world: World,
    mail: MailPipeline,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, account_id, _ = _shopper(world)
    events = runtime.code_outbox()._events  # type: ignore[union-attr]

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "InternalException", "Message": "down"}}, "PutEvents")

    monkeypatch.setattr(events, "put_events", refuse)
    body = {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    with logs_at_debug(capfd, caplog) as logs:
        changed = world.api.call("POST", f"{ACCOUNTS}/{account_id}/Change-Password", body, token=app)
        logged = logs.text()

    assert changed.status == 204, changed.text
    assert '"message":"PasswordChanged not put on the bus"' in logged
    assert '"error":"ClientError"' in logged
    monkeypatch.undo()
    _sign_in_with(world, app, NEW_PASSWORD)


def _sign_in_with(world: World, app: str, password: str) -> None:
    ok(world.api.call("POST", TICKETS, {"username": EMAIL, "password": password}, token=app))


def test_every_notice_carries_the_documented_fields(world: World, mail: MailPipeline) -> None:
    app, account_id, _ = _shopper(world)
    _new_device_notices(True)
    mail.queued_events()
    _sign_in(world, app, PHONE, "FR")
    body = {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}
    assert world.api.call("POST", f"{ACCOUNTS}/{account_id}/Change-Password", body, token=app).status == 204
    assert world.api.call("DELETE", f"{ACCOUNTS}/{account_id}", token=app).status == 204

    fields = {e["detail-type"]: set(e["detail"]) for e in mail.queued_events()}
    assert fields == {
        "NewDeviceSignIn": ABOUT | {"region", "newDevice", "newRegion", "signedInAt"},
        "PasswordChanged": ABOUT | {"via", "changedAt"},
        "AccountDeleted": ABOUT | {"deletedAt"},
    }
