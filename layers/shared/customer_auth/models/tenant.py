"""Kibo's ``Tenant`` as its SDK's tenant lookup reads it."""

from pydantic import Field

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
