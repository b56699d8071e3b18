"""ANY /{proxy+}: every path no other route serves gets Kibo's 404 body, not API Gateway's own."""

import customer_auth.coldstart  # noqa: F401 (first: the collector pauses while the function imports)

# isort: split
from customer_auth.api.http import lambda_entry, make_resolver

app = make_resolver()  # no routes: every request reaches the resolver's Kibo-shaped not-found handler

lambda_handler = lambda_entry(app)
