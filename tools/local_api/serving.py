"""What the local server does before any function runs: bursts of connections, every method
handed to routing, request bodies read whole (chunked ones too) or refused, and requests the HTTP
parser refuses, each refusal in Kibo's error shape.

``http.server`` listens with a backlog of 5, so a burst of new connections (a load test's users
starting together) saw some of them reset; it answers a method it has no ``do_`` handler for
(TRACE, CONNECT, any token) with 501 and an HTML page, malformed requests with HTML too, and it
leaves reading the body to the handler: a body it does not read (one refused as too large, or a
``Transfer-Encoding: chunked`` one) stays in the connection and is parsed as the next request.
Here the backlog holds a burst, every method reaches the router (which answers 404 or 405 as API
Gateway's catch-all would), every body is read before its request is answered or the connection
is closed after the answer, and every refusal is a 4xx in Kibo's error shape.
"""

import secrets
import socket
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BufferedIOBase
from typing import Any

from customer_auth.api.errors import error_body

LISTEN_BACKLOG = 1024
"""Connections the kernel queues before the server accepts them (capped by net.core.somaxconn)."""

MAX_BODY = 10 * 1024 * 1024
"""API Gateway's payload limit."""

_MAX_CHUNK_LINE = 1024
"""Longest chunk-size line (with its extensions) or trailer line read from a chunked body."""
_MAX_TRAILERS = 64
_LINGER_SECONDS = 2.0
"""How long a connection closed before its request body was read keeps draining what the client
still sends, so that closing does not reset the connection before the client reads the answer."""


class LocalHttpServer(ThreadingHTTPServer):
    """A thread per connection, a backlog that holds a burst, and no wait for idle keep-alive
    connections when it stops."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True
    block_on_close = False


def error_json(code: str, message: str) -> bytes:
    """The service's own error body, for what the local server refuses before any function runs."""
    return error_body(code, message, correlation_id=secrets.token_hex(8)).encode()


class BodyRefused(Exception):
    """A request body the server will not read to its end: answered, then the connection closed."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_code, self.message = status, error_code, message


def read_chunked(stream: BufferedIOBase, limit: int) -> bytes:
    """A ``Transfer-Encoding: chunked`` body (RFC 9112 §7.1) read to its end, trailers included
    and ignored; ``BodyRefused`` when it is malformed or its data exceeds ``limit`` bytes."""
    body = bytearray()
    while True:
        size_field = _line(stream).split(b";", 1)[0].strip()
        if not size_field or any(c not in b"0123456789abcdefABCDEF" for c in size_field):
            raise BodyRefused(400, "MISSING_OR_INVALID_PARAMETER", "The chunked request body is malformed.")
        size = int(size_field, 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise BodyRefused(413, "REQUEST_TOO_LARGE", "Request body too large.")
        chunk = stream.read(size)
        if len(chunk) != size or _line(stream) != b"":
            raise BodyRefused(400, "MISSING_OR_INVALID_PARAMETER", "The chunked request body is malformed.")
        body += chunk
    for _ in range(_MAX_TRAILERS):
        if _line(stream) == b"":
            return bytes(body)
    raise BodyRefused(400, "MISSING_OR_INVALID_PARAMETER", "The chunked request body is malformed.")


def _line(stream: BufferedIOBase) -> bytes:
    """One CRLF-terminated line without its terminator; ``BodyRefused`` past the line limit or
    at the end of the stream."""
    line = stream.readline(_MAX_CHUNK_LINE + 1)
    if len(line) > _MAX_CHUNK_LINE or not line.endswith(b"\n"):
        raise BodyRefused(400, "MISSING_OR_INVALID_PARAMETER", "The chunked request body is malformed.")
    return line.rstrip(b"\r\n")


class KiboErrors(BaseHTTPRequestHandler):
    """A request handler that gives every method to ``serve``, reads bodies whole or refuses them
    and closes, and turns parse errors into a 4xx, each as Kibo's ``ApiError`` JSON rather than
    http.server's HTML."""

    path = ""
    """Until the request line is parsed (a refusal of the line itself is logged without one)."""

    _linger = False
    """Set when the connection closes with the request body unread: ``finish`` drains it first."""

    def serve(self) -> None:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up do_<METHOD> and answers 501 when there is none: every method is
        # routed instead, and the catch-all answers 405 or 404 as API Gateway's would.
        if name.startswith("do_"):
            return self.serve
        raise AttributeError(name)

    def read_body(self) -> bytes | None:
        """The request's whole body; ``None`` when it was refused (answered, and the connection
        set to close, since the rest of the body is still in it)."""
        try:
            return self._body()
        except BodyRefused as refused:
            self.refuse(refused.status, refused.error_code, refused.message)
            return None

    def _body(self) -> bytes:
        transfer = self.headers.get_all("transfer-encoding") or []
        codings = [coding.strip().lower() for value in transfer for coding in value.split(",")]
        lengths = {v.strip() for v in self.headers.get_all("content-length") or []}
        if codings:
            if codings != ["chunked"]:
                raise BodyRefused(
                    400, "MISSING_OR_INVALID_PARAMETER", "Transfer-Encoding must be chunked, or absent."
                )
            if lengths:
                # Both framings (a request-smuggling attempt, RFC 9112 §6.3): chunked decides the
                # body, and the connection is not reused.
                self.close_connection = True
            return read_chunked(self.rfile, MAX_BODY)
        if len(lengths) > 1 or not all(v.isascii() and v.isdigit() for v in lengths):
            raise BodyRefused(400, "MISSING_OR_INVALID_PARAMETER", "Content-Length is not valid.")
        length = int(next(iter(lengths), "0"))
        if length > MAX_BODY:
            raise BodyRefused(413, "REQUEST_TOO_LARGE", "Request body too large.")
        body = self.rfile.read(length) if length else b""
        if len(body) != length:  # the client stopped sending: nothing left to answer on this connection
            self.close_connection = True
        return body

    def refuse(self, status: int, error_code: str, message: str) -> None:
        """An answer sent before the body was read: the connection closes after it, so what is left
        of the body is never read as a request."""
        body = error_json(error_code, message)
        self.send_response(status)
        self.send_header("Connection", "close")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True
        self._linger = True

    def finish(self) -> None:
        super().finish()
        if self._linger:
            self._drain()

    def _drain(self) -> None:
        """Close gracefully with unread input: the answer is flushed and the sending side shut, then
        what the client still sends is read and dropped for a moment. Closing a socket that holds
        unread bytes resets the connection, and a reset can destroy the answer before the client
        reads it."""
        connection: socket.socket = self.connection
        try:
            connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + _LINGER_SECONDS
            while (left := deadline - time.monotonic()) > 0:
                connection.settimeout(left)
                if not connection.recv(65536):
                    return
        except OSError:
            return

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's refusals (a malformed request line or header, an over-long URI, an
        HTTP version it does not speak) as JSON; none is the server's fault, so none is a 5xx."""
        status = code if code < 500 else HTTPStatus.BAD_REQUEST
        error_code = "REQUEST_TOO_LARGE" if status in (413, 414, 431) else "MISSING_OR_INVALID_PARAMETER"
        # A request line that did not parse leaves HTTP/0.9, whose replies have no status line.
        self.request_version = "HTTP/1.0" if self.request_version == "HTTP/0.9" else self.request_version
        self.log_error("code %d", status)
        self.refuse(status, error_code, "The request could not be read.")

    def log_error(self, format: str, *args: Any) -> None:
        """Parse errors are logged by status only: a malformed request line may carry a token."""
        self.log_message("%s", "-", *args)
