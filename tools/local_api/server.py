"""An HTTP server that turns each request into the API Gateway event AWS would send, and calls
the function that template.yaml routes it to."""

import base64
import json
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from .mailbox import Mailbox
from .router import Router
from .serving import KiboErrors, LocalHttpServer, error_json

_MAX_BODY = 10 * 1024 * 1024
"""API Gateway's payload limit."""

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

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("content-length") or 0)
            if length > _MAX_BODY:
                self._send(
                    413,
                    {"content-type": "application/json"},
                    error_json("REQUEST_TOO_LARGE", "Request body too large."),
                )
                return
            body = self.rfile.read(length) if length else b""
            if self.command == "GET" and url.path == SWAGGER_PATH:
                self._send(200, {"content-type": "text/html; charset=utf-8"}, SWAGGER_PAGE)
                return
            page = mailbox.answer(url.path) if mailbox is not None and self.command == "GET" else None
            if page is not None:
                self._send(*page)
                return
            response = router.request(self.command, url.path, url.query, list(self.headers.items()), body)
            if response is None:
                status, code = (
                    (405, "METHOD_NOT_ALLOWED") if router.allows(url.path) else (404, "ITEM_NOT_FOUND")
                )
                self._send(
                    status,
                    {"content-type": "application/json"},
                    error_json(code, "No such operation."),
                )
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
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            # Method, path and status only: query strings may carry refresh tokens (Kibo puts
            # them there), so they are never logged.
            print(
                json.dumps(
                    {
                        "level": "INFO",
                        "message": "request",
                        "method": self.command,
                        "path": urlsplit(self.path).path,
                        "status": args[1] if len(args) > 1 else None,
                    }
                ),
                flush=True,
            )

    return LocalHttpServer((host, port), Handler)
