"""What tenants need from storage."""

from typing import Protocol

from .tenant import Tenant


class TenantStore(Protocol):
    def get_tenant(self, tenant_id: int) -> Tenant | None: ...
