"""GET /.well-known/jwks.json (and /api/platform/jwks): the public keys that verify our JWTs."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
import json

from aws_lambda_powertools.event_handler import Response

from customer_auth.api import runtime
from customer_auth.api.http import lambda_entry, make_resolver

app = make_resolver()


@app.get("/.well-known/jwks.json")
@app.get("/api/platform/jwks")
def jwks() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=json.dumps(runtime.key_set().jwks()),
        headers={"Cache-Control": "public, max-age=300"},
    )


lambda_handler = lambda_entry(app)
