"""`make run`'s server keeps the requests of one kept-alive connection apart: a body is read whole
(``Transfer-Encoding: chunked`` included) before the next request is parsed, and a request
answered before its body was read (too large, malformed framing) closes the connection, so no
byte of a body is ever parsed as a request. Raw sockets, since client libraries tidy what they send."""

import json
import socket
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import LocalServer

OAUTH = "/api/platform/applications/authtickets/oauth"
JWKS = "/.well-known/jwks.json"
OVER_LIMIT = 10 * 1024 * 1024 + 1
GET_JWKS = f"GET {JWKS} HTTP/1.1\r\nHost: x\r\n\r\n".encode()


def _connect(server: LocalServer) -> socket.socket:
    url = urlsplit(server.base)
    assert url.hostname is not None
    assert url.port is not None
    return socket.create_connection((url.hostname, url.port), timeout=30)


def _response(stream: BinaryIO) -> tuple[int, dict[str, str], bytes]:
    """One response read off the connection, exactly: status line, headers, Content-Length bytes."""
    status_line = stream.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers: dict[str, str] = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


def _closed(connection: socket.socket, stream: BinaryIO) -> bool:
    """Whether the server closed the connection with nothing more to say."""
    connection.settimeout(10)
    return stream.read(1) == b""


def _alone(server: LocalServer, request: bytes) -> tuple[int, Any]:
    """The status and JSON body a request gets on a connection of its own."""
    with _connect(server) as connection:
        connection.sendall(request)
        status, _, body = _response(connection.makefile("rb"))
    return status, json.loads(body)


def _credentials(server: LocalServer) -> bytes:
    body = {
        "client_id": server.client_id,
        "client_secret": server.client_secret,
        "grant_type": "client_credentials",
    }
    return json.dumps(body).encode()


def _chunked(data: bytes, size: int = 7) -> bytes:
    """``data`` in chunks of ``size`` bytes (with a chunk extension on the first), a zero chunk and
    a trailer."""
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    sizes = [f"{len(chunk):x}{';ext=1' if n == 0 else ''}\r\n".encode() for n, chunk in enumerate(chunks)]
    encoded = b"".join(size + chunk + b"\r\n" for size, chunk in zip(sizes, chunks, strict=True))
    return encoded + b"0\r\nX-Trailer: ignored\r\n\r\n"


def test_a_chunked_body_is_read_whole_and_the_next_request_on_the_connection_answered_as_if_alone(
    local_server: LocalServer,
) -> None:
    """Before: the chunked POST got 401 (no body read) and its chunks were parsed as the next request
    (400 "could not be read"), and the GET after them never got its own answer."""
    post = (
        f"POST {OAUTH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode() + _chunked(_credentials(local_server))

    with _connect(local_server) as connection:
        connection.sendall(post + GET_JWKS)  # pipelined: both before any answer
        stream = connection.makefile("rb")
        first_status, _, first_body = _response(stream)
        second = _response(stream)

    assert first_status == 200, first_body
    token = json.loads(first_body)
    assert token["token_type"] == "Bearer"
    tenant = f"/api/platform/tenants/{local_server.tenant_id}"
    assert local_server.call("GET", tenant, token=token["access_token"]).status == 200
    assert (second[0], json.loads(second[2])) == _alone(local_server, GET_JWKS)


def test_an_over_size_body_is_refused_unread_and_the_connection_closed(local_server: LocalServer) -> None:
    """Before: the 413 went out, the connection stayed open, and the body's first bytes (here a
    request of their own) were parsed as the next request and answered."""
    post = (
        f"POST {OAUTH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {OVER_LIMIT}\r\n\r\n"
    ).encode()

    with _connect(local_server) as connection:
        connection.sendall(post + GET_JWKS)  # the second "request" is the body's first bytes
        stream = connection.makefile("rb")
        status, headers, body = _response(stream)
        assert _closed(connection, stream), "a second answer came on the connection"

    assert (status, json.loads(body)["errorCode"]) == (413, "REQUEST_TOO_LARGE")
    assert headers["connection"] == "close"
    # A client that honours Connection: close sends its next request on a new connection, and
    # gets what that request gets alone.
    assert _alone(local_server, GET_JWKS)[0] == 200


@pytest.mark.parametrize(
    ("framing", "status", "code"),
    [
        (b"Transfer-Encoding: chunked\r\n\r\n" + f"{OVER_LIMIT:x}\r\n".encode(), 413, "REQUEST_TOO_LARGE"),
        (b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "MISSING_OR_INVALID_PARAMETER"),
        (b"Transfer-Encoding: chunked\r\n\r\n5\r\nabcdefgh\r\n", 400, "MISSING_OR_INVALID_PARAMETER"),
        (b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400, "MISSING_OR_INVALID_PARAMETER"),
        (b"Content-Length: 1x\r\n\r\n", 400, "MISSING_OR_INVALID_PARAMETER"),
        (b"Content-Length: -1\r\n\r\n", 400, "MISSING_OR_INVALID_PARAMETER"),
        (b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n", 400, "MISSING_OR_INVALID_PARAMETER"),
    ],
    ids=[
        "chunk-over-limit",
        "chunk-size-not-hex",
        "chunk-longer-than-its-size",
        "other-transfer-coding",
        "length-not-a-number",
        "negative-length",
        "two-lengths",
    ],
)
def test_a_body_whose_framing_is_refused_closes_the_connection_before_anything_after_it_is_parsed(
    local_server: LocalServer, framing: bytes, status: int, code: str
) -> None:
    request = f"POST {OAUTH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode() + framing

    with _connect(local_server) as connection:
        connection.sendall(request + GET_JWKS)
        stream = connection.makefile("rb")
        answer = _response(stream)
        assert _closed(connection, stream), "a second answer came on the connection"

    assert (answer[0], json.loads(answer[2])["errorCode"]) == (status, code)
    assert answer[1]["connection"] == "close"


def test_a_request_with_both_a_length_and_chunked_framing_is_read_as_chunked_and_the_connection_closed(
    local_server: LocalServer,
) -> None:
    """Both framings is the request-smuggling pattern (RFC 9112 §6.3): chunked decides where the
    body ends, and nothing more is read from that connection."""
    body = _chunked(_credentials(local_server))
    post = (
        f"POST {OAUTH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode() + body

    with _connect(local_server) as connection:
        connection.sendall(post + GET_JWKS)
        stream = connection.makefile("rb")
        status, headers, answer = _response(stream)
        assert _closed(connection, stream), "a second answer came on the connection"

    assert status == 200, answer
    assert headers["connection"] == "close"


def test_a_head_answer_has_no_body_that_the_next_answer_could_be_mistaken_for(
    local_server: LocalServer,
) -> None:
    head = f"HEAD {JWKS} HTTP/1.1\r\nHost: x\r\n\r\n".encode()

    with _connect(local_server) as connection:
        connection.sendall(head + GET_JWKS)
        stream = connection.makefile("rb")
        status_line = stream.readline()
        while stream.readline() not in (b"\r\n", b""):  # a HEAD answer's headers, and no body
            pass
        second = _response(stream)

    assert status_line.split()[1] == b"405"  # the key set is served to GET only
    assert (second[0], json.loads(second[2])) == _alone(local_server, GET_JWKS)
