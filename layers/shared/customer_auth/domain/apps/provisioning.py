"""Operator provisioning: tenants with their sites and token policy, and app clients."""

import secrets

from ...tokens.opaque import token_digest
from ..kernel.behaviors import Behavior
from ..kernel.errors import InvalidParameter
from ..tenants.tenant import Tenant
from .ports import ProvisioningStore
from .records import AppClient

KNOWN_BEHAVIORS = frozenset(b.value for b in Behavior)


def provision_tenant(store: ProvisioningStore, tenant: Tenant) -> Tenant:
    """Create or replace a tenant record (its policy was validated when it was built)."""
    store.put_tenant(tenant)
    return tenant


def create_client(
    store: ProvisioningStore,
    *,
    tenant_id: int,
    name: str,
    behaviors: list[str],
    site_id: int | None = None,
    client_id: str | None = None,
    secret: str | None = None,
) -> tuple[AppClient, str]:
    """Create an app client; returns it with its secret, which is stored only as a digest."""
    tenant = store.get_tenant(tenant_id)
    if tenant is None:
        raise InvalidParameter(f"Tenant {tenant_id} does not exist.", field="tenantId")
    if site_id is not None and not tenant.has_site(site_id):
        raise InvalidParameter(f"Site {site_id} is not a site of tenant {tenant_id}.", field="siteId")
    unknown = set(behaviors) - KNOWN_BEHAVIORS
    if unknown:
        raise InvalidParameter(f"Unknown behaviors: {', '.join(sorted(unknown))}.", field="behaviors")
    if secret is not None and len(secret) < 32:
        raise InvalidParameter("A client secret must have at least 32 characters.", field="secret")
    secret = secret or secrets.token_urlsafe(32)
    client = AppClient(
        client_id=client_id or f"{name}.{secrets.token_hex(4)}",
        name=name,
        tenant_id=tenant_id,
        site_id=site_id,
        behaviors=frozenset(behaviors),
        secret_digest=token_digest(secret),
    )
    store.put_client(client)
    return client, secret
