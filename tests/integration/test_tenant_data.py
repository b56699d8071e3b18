"""Tenant data (docs/contract.md §3): the tenant and its sites, as Kibo's SDK looks them up."""

from typing import Any

import pytest

from tests.support.assertions import assert_error
from tests.support.fixtures import OTHER_TENANT_ID, SITE_ID, TENANT_ID, FrozenClock, World

TENANTS = "/api/platform/tenants"


def test_the_tenant_and_its_sites_are_returned_to_its_own_app(world: World) -> None:
    result = world.api.call("GET", f"{TENANTS}/{TENANT_ID}", token=world.app_token())

    assert result.status == 200, result.text
    tenant = result.json
    assert tenant["id"] == TENANT_ID
    assert tenant["name"] == "Acme"
    assert tenant["domain"] == "acme.example"
    (site,) = tenant["sites"]
    assert {k: site[k] for k in ("id", "siteId", "tenantId", "name")} == {
        "id": SITE_ID,
        "siteId": SITE_ID,
        "tenantId": TENANT_ID,
        "name": "Acme US",
    }
    assert site.get("domain") is None


@pytest.mark.parametrize("client", ["reader", "basic"])
def test_any_valid_app_token_of_the_tenant_may_read_it(world: World, client: str) -> None:
    result = world.api.call("GET", f"{TENANTS}/{TENANT_ID}", token=world.app_token(client))

    assert result.status == 200, result.text
    assert result.json["id"] == TENANT_ID


def test_another_tenant_reads_its_own_data(world: World) -> None:
    result = world.api.call(
        "GET",
        f"{TENANTS}/{OTHER_TENANT_ID}",
        token=world.app_token("other"),
        headers={"x-vol-tenant": str(OTHER_TENANT_ID), "x-vol-site": "400"},
    )

    assert result.status == 200, result.text
    assert result.json["name"] == "Other"
    assert [site["siteId"] for site in result.json["sites"]] == [400]


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-vol-tenant": str(OTHER_TENANT_ID)}, {"x-vol-tenant": ""}],
    ids=["own-tenant-header", "other-tenant-header", "no-tenant-header"],
)
def test_another_tenants_data_is_forbidden(world: World, headers: dict[str, str]) -> None:
    result = world.api.call("GET", f"{TENANTS}/{OTHER_TENANT_ID}", token=world.app_token(), headers=headers)

    body = assert_error(result, 403, "FORBIDDEN")
    assert "Other" not in result.text
    assert body["correlationId"] == result.headers["x-vol-correlation"]


def test_without_an_app_token_it_is_unauthorized(world: World) -> None:
    result = world.api.call("GET", f"{TENANTS}/{TENANT_ID}")

    assert_error(result, 401, "UNAUTHORIZED")
    assert "Acme" not in result.text


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c"])
def test_a_malformed_app_token_is_unauthorized(world: World, token: str) -> None:
    assert_error(world.api.call("GET", f"{TENANTS}/{TENANT_ID}", token=token), 401, "UNAUTHORIZED")


def test_an_expired_app_token_is_unauthorized(world: World, clock: FrozenClock) -> None:
    token = world.app_token()
    clock.advance(days=2)

    assert_error(world.api.call("GET", f"{TENANTS}/{TENANT_ID}", token=token), 401, "UNAUTHORIZED")


def test_a_shoppers_jwt_is_not_an_app_token(world: World) -> None:
    app = world.app_token()
    account_id = world.add_account(app, emailAddress="shopper@example.com")["id"]
    ticket = world.create_login(
        account_id, {"emailAddress": "shopper@example.com", "password": "correct horse battery staple"}
    ).json

    result = world.api.call("GET", f"{TENANTS}/{TENANT_ID}", token=ticket["jwtAccessToken"])

    assert_error(result, 401, "UNAUTHORIZED")


@pytest.mark.parametrize("tenant_id", ["acme", "1.5", "0", "-100", "2147483648"])
def test_a_tenant_id_that_is_not_a_positive_int32_is_refused(world: World, tenant_id: str) -> None:
    result = world.api.call("GET", f"{TENANTS}/{tenant_id}", token=world.app_token())

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "tenantId")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("id,name", {"id": TENANT_ID, "name": "Acme"}),
        ("id,sites(siteId,name)", {"id": TENANT_ID, "sites": [{"siteId": SITE_ID, "name": "Acme US"}]}),
        ("DOMAIN, Sites(TenantId)", {"domain": "acme.example", "sites": [{"tenantId": TENANT_ID}]}),
    ],
)
def test_response_fields_keep_only_the_named_fields(
    world: World, expression: str, expected: dict[str, Any]
) -> None:
    result = world.api.call(
        "GET", f"{TENANTS}/{TENANT_ID}", token=world.app_token(), query={"responseFields": expression}
    )

    assert result.status == 200, result.text
    assert result.json == expected


def test_an_unbalanced_response_fields_expression_is_refused(world: World) -> None:
    result = world.api.call(
        "GET", f"{TENANTS}/{TENANT_ID}", token=world.app_token(), query={"responseFields": "id,sites(id"}
    )

    assert_error(result, 400, "MISSING_OR_INVALID_PARAMETER", "responseFields")
