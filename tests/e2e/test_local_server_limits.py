"""`make run`'s server before any function runs: a burst of connections, methods API Gateway would
not route, and requests its HTTP parser refuses, each answered in Kibo's error shape. (How it
keeps one request's body from being read as the next request: test_local_server_framing.py.)"""

import http.client
import json
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import LocalServer
from tools.local_api.router import Router
from tools.local_api.server import make_server

BURST = 50


def _address(server: LocalServer) -> tuple[str, int]:
    url = urlsplit(server.base)
    assert url.hostname is not None
    assert url.port is not None
    return url.hostname, url.port


def _raw(server: LocalServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no client library tidies them) and read the one response."""
    with socket.create_connection(_address(server), timeout=30) as connection:
        connection.sendall(request)
        response = http.client.HTTPResponse(connection)
        response.begin()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, response.read()


def _accept_queue(port: int) -> int | None:
    """Connections waiting in a listening socket's accept queue (Linux: /proc/net/tcp's rx_queue
    of a LISTEN socket), or None where that cannot be read."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        local, state, queues = fields[1], fields[3], fields[4]
        if state == "0A" and int(local.split(":")[1], 16) == port:  # 0A: LISTEN
            return int(queues.split(":")[1], 16)
    return None


def test_a_burst_of_50_connections_made_while_the_server_is_busy_is_answered_in_full() -> None:
    """The kernel queues connections the server has not accepted yet, up to the listen backlog;
    http.server's default of 5 refused the rest of a burst. Here all 50 connect while the server
    accepts none, then every one gets its answer."""
    server = make_server(Router(routes=[]), "127.0.0.1", 0)
    host, port = server.server_address[:2]
    connections = []
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    try:
        for _ in range(BURST):
            connection = socket.create_connection((str(host), port), timeout=2)
            connections.append(connection)
            connection.sendall(b"TRACE / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        assert _accept_queue(port) in (None, BURST), "the kernel did not queue the whole burst"
        serving.start()
        statuses = []
        for connection in connections:
            connection.settimeout(30)
            response = http.client.HTTPResponse(connection)
            response.begin()
            response.read()
            statuses.append(response.status)
        assert statuses == [404] * BURST  # no routes at all here: every path is unknown
    finally:
        for connection in connections:
            connection.close()
        if serving.is_alive():  # shutdown() waits for a serve_forever() that has started
            server.shutdown()
        server.server_close()


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
def test_a_method_no_route_can_match_gets_the_catch_alls_kibo_405_on_a_known_path(
    local_server: LocalServer, method: str
) -> None:
    """http.server answers a method it has no handler for with 501 and HTML; here routing decides,
    as for any method: the path serves POST only."""
    request = f"{method} /api/commerce/customer/accounts HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    status, headers, body = _raw(local_server, request.encode())
    assert status == 405
    assert headers["content-type"] == "application/json"
    assert headers["allow"] == "POST"
    error = json.loads(body)
    assert error["errorCode"] == "METHOD_NOT_ALLOWED"
    assert error["message"] == "Method not allowed; this path serves POST."
    assert set(error) >= {"message", "applicationName", "errorCode", "correlationId", "items"}


def test_a_wrong_method_and_an_unknown_path_answer_over_http_as_in_the_functions(
    local_server: LocalServer,
) -> None:
    wrong_method = local_server.call("GET", "/api/commerce/customer/authtickets/refresh")
    accounts = [{"emailAddress": "a@b.example"}]
    unknown = local_server.call("POST", "/api/commerce/customer/accounts/Bulk", accounts)

    assert (wrong_method.status, wrong_method.headers["allow"]) == (405, "PUT")
    assert wrong_method.body["errorCode"] == "METHOD_NOT_ALLOWED"
    assert (unknown.status, unknown.body["errorCode"]) == (404, "ITEM_NOT_FOUND")


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        (b"GET /.well-known/jwks.json HTTP/2.0", 400),  # http.server says 505
        (b"GET /.well-known/jwks.json HTTP/x.y", 400),
        (b"GET", 400),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1", 414),
    ],
    ids=["http-2.0", "bad-version", "no-path", "uri-too-long"],
)
def test_a_request_the_parser_refuses_gets_a_kibo_4xx_not_html(
    local_server: LocalServer, request_line: bytes, status: int
) -> None:
    got, headers, body = _raw(local_server, request_line + b"\r\nHost: x\r\n\r\n")
    assert got == status
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["errorCode"] in {"MISSING_OR_INVALID_PARAMETER", "REQUEST_TOO_LARGE"}


def test_the_routed_methods_still_reach_the_functions(local_server: LocalServer) -> None:
    reply = local_server.call("GET", "/.well-known/jwks.json")
    assert reply.status == 200
    assert reply.body["keys"]
