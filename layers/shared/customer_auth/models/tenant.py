"""Kibo's ``Tenant`` as its SDK's tenant lookup reads it."""

from pydantic import Field

from ..domain.tenants.policies import Tenant
from .base import WireModel


class TenantSite(WireModel):
    id: int
    site_id: int = Field(description="Equal to id; Kibo's SDK TenantManager reads this name")
    tenant_id: int
    name: str
    domain: str | None = None


class TenantData(WireModel):
    id: int
    name: str
    domain: str | None = None
    sites: list[TenantSite]

    @classmethod
    def of(cls, tenant: Tenant) -> "TenantData":
        return cls(
            id=tenant.id,
            name=tenant.name,
            domain=tenant.domain,
            sites=[
                TenantSite(id=s.id, site_id=s.id, tenant_id=tenant.id, name=s.name, domain=s.domain)
                for s in tenant.sites
            ],
        )
