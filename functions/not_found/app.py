"""ANY /{proxy+}: every request no other route serves, answered in Kibo's error shape rather than
API Gateway's own: 404 for a path no operation has, 405 (with ``Allow``) for a known path asked
with a method it does not serve. Its body is never read, so routing decides whatever it holds."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from pathlib import Path

from customer_auth.api.http import lambda_entry, make_resolver
from customer_auth.api.routing import RouteTable

ROUTES = RouteTable.load(Path(__file__).with_name("routes.json"))
"""template.yaml's paths and methods, written here by make openapi (tools/route_table.py)."""

app = make_resolver(ROUTES)  # no routes of its own: every request reaches the not-found answer

lambda_handler = lambda_entry(app, body_kind="unread")
