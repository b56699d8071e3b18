"""Kibo's own SDK reads the tenant data of the local server: TenantsApi and its TenantManager."""

from tests.e2e.conftest import SEED, LocalServer, needs_kibo_sdk, run_sdk_script


@needs_kibo_sdk
def test_kibo_rest_sdk_reads_the_tenant_and_finds_its_site_by_site_id(local_server: LocalServer) -> None:
    result = run_sdk_script(local_server, "tenant_data.js")

    seeded = SEED["tenant"]
    (seeded_site,) = seeded["sites"]
    tenant = result["tenant"]
    assert (tenant["id"], tenant["name"], tenant["domain"]) == (
        seeded["id"],
        seeded["name"],
        seeded["domain"],
    )
    (site,) = tenant["sites"]
    assert {k: site[k] for k in ("id", "siteId", "tenantId", "name")} == {
        "id": seeded_site["id"],
        "siteId": seeded_site["id"],
        "tenantId": seeded["id"],
        "name": seeded_site["name"],
    }
    assert result["projected"] == {"id": seeded["id"], "sites": [{"siteId": seeded_site["id"]}]}
    assert result["foreignStatus"] == 403
    assert result["site"] == site
