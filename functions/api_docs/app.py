"""GET /api/docs/openapi.json: the whole API's OpenAPI document (public).

The document beside this file is generated from every function's code by ``make openapi``
(``python -m tools.openapi``); a test fails when it drifts from the code.
"""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
import json
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, ConfigDict

from customer_auth.api.docs import route_docs
from customer_auth.api.http import lambda_entry, make_resolver

DOCUMENT = Path(__file__).with_name("openapi.json")

app = make_resolver()


class OpenApiDocument(BaseModel):
    """An OpenAPI 3.1 document."""

    # Only the OpenAPI document describes it (the route returns the committed file as it is):
    # never validated, so never built at cold start.
    model_config = ConfigDict(extra="allow", title="OpenApiDocument", defer_build=True)

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


@cache
def _document() -> str:
    """The committed document, without its indentation (read once per container)."""
    return json.dumps(json.loads(DOCUMENT.read_text()), separators=(",", ":"), ensure_ascii=False)


@app.get(
    "/api/docs/openapi.json",
    **route_docs("getOpenApiDocument", "This API's OpenAPI document", OpenApiDocument, refusals=(400,)),
)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=_document(),
        headers={"Cache-Control": "public, max-age=300"},
    )


lambda_handler = lambda_entry(app)
