"""An HTTP server that turns each request into the API Gateway event AWS would send, and calls
the function that template.yaml routes it to."""

import base64
import json
import secrets
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from customer_auth.api.errors import route_refusal

from .mailbox import Mailbox
from .router import Router
from .serving import KiboErrors, LocalHttpServer

SWAGGER_PATH = "/api/docs"
SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"
SWAGGER_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>customer-auth API</title>
  <link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{SWAGGER_UI}/swagger-ui-bundle.js" crossorigin></script>
  <script>
    SwaggerUIBundle({{url: "/api/docs/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true}});
  </script>
</body>
</html>
""".encode()
"""Swagger UI (from a CDN) over the API's own OpenAPI document: ``make run`` only, not deployed."""


def make_server(router: Router, host: str, port: int, mailbox: Mailbox | None = None) -> ThreadingHTTPServer:
    """The server; with ``mailbox``, it also serves the local mailbox page (``/mailbox``)."""

    class Handler(KiboErrors):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: with Nagle's algorithm on, each reply on a
        # kept-open connection waited ~40 ms for the client's delayed acknowledgement.
        disable_nagle_algorithm = True
        server_version = "customer-auth-local"
        route_path = "-"
        """The matched route's path template, which the log line shows instead of the path: Kibo
        puts an app's refresh token in one (DELETE .../authtickets/{refreshToken})."""

        def serve(self) -> None:
            url = urlsplit(self.path)
            matched = router.match(self.command, url.path)
            self.route_path = matched[0].path if matched else "-"
            body = self.read_body()
            if body is None:  # refused: answered, and the connection closes
                return
            if self.command == "GET" and url.path == SWAGGER_PATH:
                self._send(200, {"content-type": "text/html; charset=utf-8"}, SWAGGER_PAGE)
                return
            page = mailbox.answer(url.path) if mailbox is not None and self.command == "GET" else None
            if page is not None:
                self._send(*page)
                return
            response = router.request(self.command, url.path, url.query, list(self.headers.items()), body)
            if response is None:  # no catch-all among the routes: answer as it would
                refusal = route_refusal(router.table.allowed_methods(url.path), secrets.token_hex(8))
                self._send(refusal.status_code, dict(refusal.headers), (refusal.body or "").encode())
                return
            payload = response.get("body") or ""
            raw = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode()
            headers: dict[str, Any] = dict(response.get("headers") or {})
            self._send(int(response["statusCode"]), headers, raw, response.get("cookies") or [])

        def _send(self, status: int, headers: dict[str, Any], body: bytes, cookies: list[str] = ()) -> None:  # type: ignore[assignment]
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in {"content-length", "connection"}:
                    self.send_header(name, str(value))
            for cookie in cookies:
                self.send_header("Set-Cookie", cookie)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":  # a body after a HEAD answer would be read as the next answer
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            # Method, route and status only: paths and query strings may carry refresh tokens (Kibo
            # puts them there), so they are never logged.
            print(
                json.dumps(
                    {
                        "level": "INFO",
                        "message": "request",
                        "method": self.command,
                        "route": self.route_path,
                        "status": args[1] if len(args) > 1 else None,
                    }
                ),
                flush=True,
            )

    return LocalHttpServer((host, port), Handler)
