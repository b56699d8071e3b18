"""Kibo's own SDK reads the tenant data of the local server: TenantsApi and its TenantManager."""

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, SEED, LocalServer


def run_sdk_script(server: LocalServer, script: str) -> dict[str, Any]:
    run = subprocess.run(  # noqa: S603
        [str(shutil.which("node")), script],
        cwd=ROOT / "tests/sdk",
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": os.environ["PATH"],
            "API": server.base,
            "CLIENT_ID": server.client_id,
            "CLIENT_SECRET": server.client_secret,
            "TENANT": str(server.tenant_id),
            "SITE": str(server.site_id),
        },
    )
    assert run.returncode == 0, run.stderr
    result: dict[str, Any] = json.loads(run.stdout)
    return result


@pytest.mark.skipif(
    not (ROOT / "tests/sdk/node_modules").exists() or shutil.which("node") is None,
    reason="Kibo's SDK is installed by `make sdk-deps` (needs node and npm)",
)
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
