"""GET /api/platform/tenants/{tenantId}: the tenant and its sites, for Kibo's SDK tenant lookup."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from customer_auth.api import runtime
from customer_auth.api.docs import route_docs
from customer_auth.api.http import authorize, json_response, lambda_entry, make_resolver
from customer_auth.api.params import ResponseFields
from customer_auth.models.tenant import TenantData

app = make_resolver()


@app.get(
    "/api/platform/tenants/<tenantId>",
    **route_docs("getTenant", "The tenant and its sites", TenantData, refusals=(400, 401, 403, 404, 503)),
)
def tenant_data(
    tenantId: Annotated[int, Path(ge=1, le=2**31 - 1)],  # noqa: N803
    response_fields: ResponseFields = None,
) -> Response[str]:
    request = authorize(app.current_event.headers, None)
    tenant = runtime.tenant_service().tenant_data(request.caller, tenantId)
    return json_response(tenant.to_wire(), response_fields)


lambda_handler = lambda_entry(app)
