"""What the local server answers before any function runs: bursts of connections, methods that
API Gateway would not route, and requests that the HTTP parser refuses.

``http.server`` listens with a backlog of 5, so a burst of new connections (a load test's users
starting together) saw some of them reset; it answers a method it has no ``do_`` handler for
(TRACE, CONNECT, any token) with 501 and an HTML page, and malformed requests with HTML too. Here
the backlog holds a burst, and every refusal is a 4xx in Kibo's error shape.
"""

import secrets
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from customer_auth.api.errors import error_body

LISTEN_BACKLOG = 1024
"""Connections the kernel queues before the server accepts them (capped by net.core.somaxconn)."""


class LocalHttpServer(ThreadingHTTPServer):
    """A thread per connection, a backlog that holds a burst, and no wait for idle keep-alive
    connections when it stops."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True
    block_on_close = False


def error_json(code: str, message: str) -> bytes:
    """The service's own error body, for what the local server refuses before any function runs."""
    return error_body(code, message, correlation_id=secrets.token_hex(8)).encode()


class KiboErrors(BaseHTTPRequestHandler):
    """A request handler whose unroutable methods get 405 and whose parse errors get a 4xx, each
    as Kibo's ``ApiError`` JSON rather than http.server's HTML."""

    path = ""
    """Until the request line is parsed (a refusal of the line itself is logged without one)."""

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up do_<METHOD> and answers 501 when there is none: every method is
        # routed instead, and the catch-all answers 405 or 404 as API Gateway's would.
        if name.startswith("do_"):
            serve: Callable[[], None] = self._serve
            return serve
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's refusals (a malformed request line or header, an over-long URI, an
        HTTP version it does not speak) as JSON; none is the server's fault, so none is a 5xx."""
        status = code if code < 500 else HTTPStatus.BAD_REQUEST
        error_code = "REQUEST_TOO_LARGE" if status in (413, 414, 431) else "MISSING_OR_INVALID_PARAMETER"
        body = error_json(error_code, "The request could not be read.")
        # A request line that did not parse leaves HTTP/0.9, whose replies have no status line.
        self.request_version = "HTTP/1.0" if self.request_version == "HTTP/0.9" else self.request_version
        self.log_error("code %d", status)
        self.send_response(status)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def log_error(self, format: str, *args: Any) -> None:
        """Parse errors are logged by status only: a malformed request line may carry a token."""
        self.log_message("%s", "-", *args)
