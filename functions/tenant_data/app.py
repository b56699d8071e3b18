"""GET /api/platform/tenants/{tenantId}: the tenant and its sites, for Kibo's SDK tenant lookup."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from customer_auth.api import runtime
from customer_auth.api.http import authorize, json_response, lambda_entry, make_resolver
from customer_auth.api.params import ResponseFields
from customer_auth.domain.errors import Forbidden, NotFound
from customer_auth.domain.tenants import Tenant

app = make_resolver()


@app.get("/api/platform/tenants/<tenantId>")
def tenant_data(
    tenantId: Annotated[int, Path(ge=1, le=2**31 - 1)],  # noqa: N803
    response_fields: ResponseFields = None,
) -> Response[str]:
    request = authorize(app.current_event.headers, None)
    if tenantId != request.caller.tenant_id:
        raise Forbidden("The application token is not valid for this tenant.")
    tenant = runtime.store().get_tenant(tenantId)
    if tenant is None:
        raise NotFound(f"Tenant {tenantId} was not found.", field="tenantId")
    return json_response(tenant_body(tenant), response_fields)


def tenant_body(tenant: Tenant) -> dict[str, object]:
    """Kibo's ``Tenant``; each site also carries ``siteId``, which the SDK's TenantManager reads."""
    return {
        "id": tenant.id,
        "name": tenant.name,
        "domain": tenant.domain,
        "sites": [
            {"id": s.id, "siteId": s.id, "tenantId": tenant.id, "name": s.name, "domain": s.domain}
            for s in tenant.sites
        ],
    }


lambda_handler = lambda_entry(app)
