"""What an app may read of its own tenant."""

from ...models.tenant import TenantData, TenantSite
from ..kernel.caller import Caller
from ..kernel.errors import Forbidden, NotFound
from .ports import TenantStore
from .tenant import Tenant


class TenantService:
    """What an app may read of its own tenant (Kibo's SDK looks its sites up)."""

    def __init__(self, store: TenantStore) -> None:
        self._store = store

    def tenant(self, caller: Caller, tenant_id: int) -> Tenant:
        """The caller's own tenant; 403 for another one, 404 when it is not provisioned."""
        if tenant_id != caller.tenant_id:
            raise Forbidden("The application token is not valid for this tenant.")
        tenant = self._store.get_tenant(tenant_id)
        if tenant is None:
            raise NotFound(f"Tenant {tenant_id} was not found.", field="tenantId")
        return tenant

    def tenant_data(self, caller: Caller, tenant_id: int) -> TenantData:
        """The caller's own tenant as Kibo's SDK reads it (``tenant``'s refusals)."""
        tenant = self.tenant(caller, tenant_id)
        return TenantData(
            id=tenant.id,
            name=tenant.name,
            domain=tenant.domain,
            sites=[
                TenantSite(id=s.id, site_id=s.id, tenant_id=tenant.id, name=s.name, domain=s.domain)
                for s in tenant.sites
            ],
        )
