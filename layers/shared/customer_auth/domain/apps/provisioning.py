"""Operator provisioning: tenants with their sites and policies, and app clients."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ...tokens.opaque import token_digest
from ..kernel.behaviors import Behavior
from ..kernel.errors import InvalidParameter
from ..tenants.mail import MailSettings
from ..tenants.policies import SignInPolicy, TokenPolicy, TwoFactorPolicy
from ..tenants.tenant import Site, Tenant
from .ports import ProvisioningStore
from .records import AppClient

KNOWN_BEHAVIORS = frozenset(b.value for b in Behavior)


def provision_tenant(store: ProvisioningStore, tenant: Tenant) -> Tenant:
    """Create or replace a tenant record (its policy was validated when it was built)."""
    store.put_tenant(tenant)
    return tenant


@dataclass(frozen=True, slots=True)
class TenantChange:
    """What an operator changes in a tenant; whatever is left out stays as it is.

    The policies name their fields as the policy classes do (``passwordless_sign_in``)."""

    name: str | None = None
    domain: str | None = None
    """``""`` clears the domain."""
    sites: tuple[Site, ...] = ()
    """Sites added, or renamed when the tenant has a site with that id."""
    removed_sites: frozenset[int] = frozenset()
    token_policy: Mapping[str, Any] = field(default_factory=dict)
    sign_in_policy: Mapping[str, Any] = field(default_factory=dict)
    two_factor_policy: Mapping[str, Any] = field(default_factory=dict)
    mail: Mapping[str, Any] = field(default_factory=dict)
    """Mail settings set (``sender``, ``shop_name``, ``link_base``, ``locale``)."""


def change_tenant(
    store: ProvisioningStore, tenant_id: int, change: TenantChange, *, whole: bool = False
) -> Tenant:
    """Apply ``change`` to the stored tenant and store the result.

    ``whole``: replace the tenant instead, with ``change`` over the defaults (what a new tenant
    gets too). A tenant always keeps at least one site: a request's ``x-vol-site`` must name one."""
    existing = None if whole else store.get_tenant(tenant_id)
    if existing is None:
        if not change.name:
            how = "replaced" if whole else "new"
            raise InvalidParameter(f"Tenant {tenant_id} is {how}: give it a name.", field="name")
        existing = Tenant(id=tenant_id, name=change.name)
    given = {site.id for site in change.sites}
    if given & change.removed_sites:
        raise InvalidParameter("A site cannot be both set and removed.", field="sites")
    unknown = change.removed_sites - {site.id for site in existing.sites}
    if unknown:
        raise InvalidParameter(
            f"Tenant {tenant_id} has no site {', '.join(map(str, sorted(unknown)))}.", field="sites"
        )
    sites = tuple(site for site in existing.sites if site.id not in given | change.removed_sites)
    sites = tuple(sorted((*sites, *change.sites), key=lambda site: site.id))
    if not sites:
        raise InvalidParameter(
            f"Tenant {tenant_id} needs at least one site (every request names one in x-vol-site).",
            field="sites",
        )
    changed = replace(
        existing,
        name=change.name or existing.name,
        domain=existing.domain if change.domain is None else (change.domain or None),
        sites=sites,
        token_policy=_changed(existing.token_policy, change.token_policy),
        sign_in_policy=_changed(existing.sign_in_policy, change.sign_in_policy),
        two_factor_policy=_changed(existing.two_factor_policy, change.two_factor_policy),
        mail=_changed(existing.mail or MailSettings(), change.mail) if change.mail else existing.mail,
    )
    store.put_tenant(changed)
    return changed


def _changed[P: (TokenPolicy, SignInPolicy, TwoFactorPolicy, MailSettings)](
    policy: P, values: Mapping[str, Any]
) -> P:
    """The policy with ``values`` set; the policy checks its own bounds."""
    return replace(policy, **values) if values else policy


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
    client, secret = new_client(
        store,
        tenant_id=tenant_id,
        name=name,
        behaviors=behaviors,
        site_id=site_id,
        client_id=client_id,
        secret=secret,
    )
    store.put_client(client)
    return client, secret


def new_client(
    store: ProvisioningStore,
    *,
    tenant_id: int,
    name: str,
    behaviors: list[str],
    site_id: int | None = None,
    client_id: str | None = None,
    secret: str | None = None,
) -> tuple[AppClient, str]:
    """An app client checked against its tenant, and its secret, not yet stored."""
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
    return client, secret
