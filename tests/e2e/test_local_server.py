"""End to end over HTTP against `make run`'s server: the README's scripted session and more."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
import jwt
from moto.server import ThreadedMotoServer

from tests.e2e.conftest import (
    LocalServer,
    free_port,
    needs_kibo_sdk,
    run_sdk_script,
    start_server,
    stop_server,
)


def _email() -> str:
    return f"shopper-{uuid.uuid4().hex[:10]}@example.com"


def test_scripted_session_app_token_account_create_login_get_account_and_jwks(
    local_server: LocalServer,
) -> None:
    app = local_server.app_token()
    email = _email()
    account = local_server.call(
        "POST", "/api/commerce/customer/accounts", {"emailAddress": email, "firstName": "Ada"}, token=app
    )
    assert account.status == 200
    assert account.body["isAnonymous"] is True

    ticket = local_server.call(
        "POST",
        f"/api/commerce/customer/accounts/{account.body['id']}/Create-Login",
        {"emailAddress": email, "password": "a long passphrase"},
        token=app,
    )
    assert ticket.status == 200, ticket.body
    assert ticket.headers["cache-control"] == "no-store"
    assert ticket.body["customerAccount"]["isAnonymous"] is False
    assert ticket.body["requires2FA"] is False

    fetched = local_server.call("GET", f"/api/commerce/customer/accounts/{account.body['id']}", token=app)
    assert fetched.status == 200
    assert fetched.body["userId"] == ticket.body["userId"]
    assert fetched.body["userName"] == email

    keys = jwt.PyJWKClient(f"{local_server.base}/.well-known/jwks.json")
    signing_key = keys.get_signing_key_from_jwt(ticket.body["jwtAccessToken"])
    claims = jwt.decode(
        ticket.body["jwtAccessToken"],
        signing_key.key,
        algorithms=["ES256"],
        audience="customer-auth",
        issuer=local_server.base,
    )
    assert claims["sub"] == ticket.body["userId"]
    assert claims["account_id"] == account.body["id"]


def test_concurrent_create_logins_for_one_email_over_http_yield_exactly_one_login(
    local_server: LocalServer,
) -> None:
    app = local_server.app_token()
    email = _email()
    account_ids = [
        local_server.call("POST", "/api/commerce/customer/accounts", {"firstName": "Racer"}, token=app).body[
            "id"
        ]
        for _ in range(8)
    ]

    def create(account_id: int) -> int:
        return local_server.call(
            "POST",
            f"/api/commerce/customer/accounts/{account_id}/Create-Login",
            {"emailAddress": email, "password": "a long passphrase"},
            token=app,
        ).status

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(create, account_ids))

    assert statuses == [200] + [409] * 7


def test_unknown_paths_and_methods_reach_the_catch_all_and_get_kibo_404s_and_405s(
    local_server: LocalServer,
) -> None:
    for method, path, status, code in (
        ("GET", "/api/commerce/nothing-here", 404, "ITEM_NOT_FOUND"),
        ("DELETE", "/api/commerce/customer/accounts", 405, "METHOD_NOT_ALLOWED"),
    ):
        reply = local_server.call(method, path)
        assert (reply.status, reply.body["errorCode"]) == (status, code)
        assert reply.headers["x-vol-correlation"] == reply.body["correlationId"]
    assert reply.headers["allow"] == "POST"


def test_aws_endpoint_url_dynamodb_points_the_server_at_another_dynamodb() -> None:
    other = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    other.start()
    host, port = other.get_host_and_port()
    server = start_server(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": f"http://{host}:{port}",
            "TABLE_NAME": "elsewhere",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    try:
        app = server.app_token()
        created = server.call("POST", "/api/commerce/customer/accounts", {"firstName": "Remote"}, token=app)
        assert created.status == 200
        remote = boto3.client(
            "dynamodb",
            endpoint_url=f"http://{host}:{port}",
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        item = remote.get_item(
            TableName="elsewhere",
            Key={"pk": {"S": f"ACCOUNT#{server.tenant_id}#{created.body['id']}"}, "sk": {"S": "ACCOUNT"}},
        )
        assert "Item" in item
    finally:
        stop_server(server)
        other.stop()


@needs_kibo_sdk
def test_kibo_rest_sdk_add_login_to_existing_customer_works_against_the_local_server(
    local_server: LocalServer,
) -> None:
    email = _email()
    result = run_sdk_script(local_server, "create_login.js", EMAIL=email)
    ticket = result["ticket"]
    assert result["appTicket"]["token_type"] == "Bearer"
    assert ticket["customerAccount"]["id"] == result["account"]["id"]
    assert ticket["customerAccount"]["emailAddress"] == email
    assert ticket["customerAccount"]["isAnonymous"] is False
    assert len(ticket["userId"]) == 32
    assert all(ticket[name] for name in ("accessToken", "refreshToken", "jwtAccessToken"))
    assert result["fetched"] == {"id": result["account"]["id"], "userName": email, "isAnonymous": False}
