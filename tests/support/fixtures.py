"""Fixtures: moto-backed AWS, a provisioned tenant with app clients, and an API driven by events."""

import json
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib import request
from urllib.parse import urlencode

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws
from moto.server import ThreadedMotoServer

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import create_client, provision_tenant
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.tenants.policies import TokenPolicy
from customer_auth.domain.tenants.tenant import Site, Tenant
from tools import dynamodb_local, local_env
from tools.local_api.router import Router

TENANT_ID = 100
SITE_ID = 200
OTHER_TENANT_ID = 300
ALL_BEHAVIORS = [b.value for b in Behavior]


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text) if self.text else None


@dataclass
class Api:
    """Calls the functions of template.yaml with API Gateway events, as AWS would."""

    router: Router
    default_headers: dict[str, str] = field(default_factory=dict)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        raw_body: bytes | None = None,
    ) -> HttpResult:
        all_headers = {"content-type": "application/json", **self.default_headers, **(headers or {})}
        if token is not None:
            all_headers["authorization"] = f"Bearer {token}"
        payload = (
            raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else b"")
        )
        response = self.router.request(
            method, path, urlencode(query or {}), list(all_headers.items()), payload
        )
        assert response is not None, f"no route for {method} {path}"
        return HttpResult(
            response["statusCode"],
            {k.lower(): v for k, v in response.get("headers", {}).items()},
            response.get("body") or "",
        )


@dataclass
class Client:
    client_id: str
    secret: str


@dataclass
class World:
    """The seeded state: a tenant, a site and app clients with different behaviors."""

    api: Api
    dynamodb: Any
    table_name: str
    clients: dict[str, Client]
    mailer: "Mailer"

    def app_token(self, client: str = "full") -> str:
        credentials = self.clients[client]
        result = self.api.call(
            "POST",
            "/api/platform/applications/authtickets/oauth",
            {
                "client_id": credentials.client_id,
                "client_secret": credentials.secret,
                "grant_type": "client_credentials",
            },
        )
        assert result.status == 200, result.text
        token: str = result.json["access_token"]
        return token

    def add_account(self, token: str | None = None, **fields: Any) -> dict[str, Any]:
        body = {"emailAddress": "guest@example.com", "firstName": "Grace", "lastName": "Guest", **fields}
        result = self.api.call(
            "POST", "/api/commerce/customer/accounts", body, token=token or self.app_token()
        )
        assert result.status == 200, result.text
        account: dict[str, Any] = result.json
        return account

    def create_login(
        self, account_id: int, body: dict[str, Any], token: str | None = None, **kwargs: Any
    ) -> HttpResult:
        return self.api.call(
            "POST",
            f"/api/commerce/customer/accounts/{account_id}/Create-Login",
            body,
            token=token or self.app_token(),
            **kwargs,
        )

    def scan(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.dynamodb.scan(TableName=self.table_name)["Items"]
        return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


class Mailer:
    """A tenant's mailer as AWS would wire it: a rule on the code bus feeding an SQS queue."""

    def __init__(self, events: Any, sqs: Any) -> None:
        bus = os.environ["CODE_EVENT_BUS_NAME"]
        events.create_event_bus(Name=bus)
        self._sqs = sqs
        self._queue = sqs.create_queue(QueueName="tenant-mailer")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="tenant-mailer",
            EventBusName=bus,
            EventPattern=json.dumps(
                {
                    "source": ["customer-auth"],
                    "detail-type": [
                        "TwoFactorCodeRequested",
                        "PasswordResetRequested",
                        "AccountEmailChanged",
                        "OtpSignInRequested",
                    ],
                }
            ),
        )
        events.put_targets(
            Rule="tenant-mailer", EventBusName=bus, Targets=[{"Id": "mailer", "Arn": queue_arn}]
        )

    def events(self) -> list[dict[str, Any]]:
        """The events delivered since the last call, oldest first."""
        received: list[dict[str, Any]] = []
        while True:
            batch = self._sqs.receive_message(QueueUrl=self._queue, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                return received
            for message in batch:
                received.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self._queue, ReceiptHandle=message["ReceiptHandle"])

    def codes(self) -> list[str]:
        """The 2FA codes sent since the last call, oldest first."""
        return [e["detail"]["otpCode"] for e in self.events() if e["detail-type"] == "TwoFactorCodeRequested"]

    def otp_sign_in_codes(self) -> list[str]:
        """The passwordless sign-in codes sent since the last call, oldest first."""
        return [e["detail"]["otpCode"] for e in self.events() if e["detail-type"] == "OtpSignInRequested"]

    def reset_codes(self) -> list[str]:
        """The password-reset confirmation codes sent since the last call, oldest first."""
        return [e["detail"]["confirmationCode"] for e in self.events() if "confirmationCode" in e["detail"]]


class FrozenClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    frozen = FrozenClock()
    monkeypatch.setattr(runtime, "clock", frozen)
    return frozen


DYNAMODB_BACKEND = os.environ.get("TEST_DYNAMODB", "moto")
"""Which DynamoDB the tests use: moto in process (the default), or ``dynamodb-local``: AWS's own
emulator, started once per test session (per xdist worker) on a free port. Everything else
(Secrets Manager, EventBridge, SQS) stays on moto either way."""
if DYNAMODB_BACKEND not in ("moto", "dynamodb-local"):
    raise ValueError(f"TEST_DYNAMODB is moto or dynamodb-local, not {DYNAMODB_BACKEND!r}")


@pytest.fixture(scope="session", autouse=True)
def dynamodb_backend() -> Iterator[str | None]:
    """DynamoDB Local's endpoint in ``AWS_ENDPOINT_URL_DYNAMODB`` for the whole session (moto's
    stub lets requests to it through), or ``None`` on moto."""
    if DYNAMODB_BACKEND == "moto":
        yield None
        return
    with dynamodb_local.DynamoDbLocal() as emulator:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = emulator.endpoint
        try:
            yield emulator.endpoint
        finally:
            os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)


on_moto_only = pytest.mark.skipif(
    DYNAMODB_BACKEND != "moto", reason="drives moto's internals, which DynamoDB Local does not have"
)


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    with mock_aws():
        yield from _fresh_aws()


@contextmanager
def _forgotten_clients() -> Iterator[None]:
    """The service's cached clients dropped before and after, so each test's AWS is the one used."""
    _forget()
    try:
        yield
    finally:
        _forget()


def _forget() -> None:
    runtime.store.cache_clear()
    runtime.code_outbox.cache_clear()
    runtime.secrets_provider.cache_clear()
    parameters.clear_caches()


def _fresh_aws() -> Iterator[dict[str, Any]]:
    """The table, signing keys and a tenant's mailer, in whatever AWS boto3 is pointed at."""
    with _forgotten_clients():
        dynamodb = boto3.client("dynamodb")
        secretsmanager = boto3.client("secretsmanager")
        table = os.environ["TABLE_NAME"]
        if DYNAMODB_BACKEND != "moto":
            # DynamoDB Local outlives each test: every test starts on a new, empty table.
            local_env.drop_table(dynamodb, table)
        local_env.create_table(dynamodb, table)
        local_env.create_signing_secret(secretsmanager, os.environ["SIGNING_KEYS_SECRET_ID"])
        mailer = Mailer(boto3.client("events"), boto3.client("sqs"))
        yield {"dynamodb": dynamodb, "secretsmanager": secretsmanager, "mailer": mailer}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto as a server on a free port, for code that runs in another process."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def served_aws(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Like ``aws``, but served by ``moto_server`` (reset for each test), so that another process
    pointed at the same endpoint sees the same tables and secrets."""
    reset = request.Request(f"{moto_server}/moto-api/reset", method="POST")  # noqa: S310
    request.urlopen(reset, timeout=10).close()  # noqa: S310 (the loopback moto server)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    yield from _fresh_aws()


_ROUTER: Router | None = None


def shared_router() -> Router:
    """Handlers are loaded once per test session, as a warm container would keep them."""
    global _ROUTER
    if _ROUTER is None:
        _ROUTER = Router()
    return _ROUTER


@pytest.fixture
def world(aws: dict[str, Any]) -> World:
    return seeded_world(aws)


@pytest.fixture
def dynamodb_calls(world: World) -> Iterator[Counter[str]]:
    """The DynamoDB calls the service makes during the test, by operation (a transaction is one)."""
    calls: Counter[str] = Counter()

    def count(model: object, **_: object) -> None:
        calls[getattr(model, "name", "?")] += 1

    events = runtime.store()._db.meta.events
    events.register("before-call.dynamodb", count)
    yield calls
    events.unregister("before-call.dynamodb", count)


@pytest.fixture
def served_world(served_aws: dict[str, Any]) -> World:
    """The same world in ``moto_server``."""
    return seeded_world(served_aws)


def seeded_world(aws: dict[str, Any]) -> World:
    """Two tenants and their app clients in ``aws``, and an API over the handlers."""
    store = runtime.store()
    provision_tenant(
        store,
        Tenant(
            id=TENANT_ID,
            name="Acme",
            domain="acme.example",
            sites=(Site(SITE_ID, "Acme US"),),
            token_policy=TokenPolicy(
                access_default_minutes=30,
                access_max_minutes=120,
                refresh_default_minutes=60 * 24,
                refresh_max_minutes=60 * 24 * 7,
            ),
        ),
    )
    provision_tenant(store, Tenant(id=OTHER_TENANT_ID, name="Other", sites=(Site(400, "Other"),)))
    clients = {}
    for name, tenant, behaviors in (
        ("full", TENANT_ID, ALL_BEHAVIORS),
        ("basic", TENANT_ID, [b for b in ALL_BEHAVIORS if b != Behavior.CONFIGURE_TOKEN_DURATIONS]),
        ("reader", TENANT_ID, [Behavior.ACCOUNT_READ.value]),
        ("other", OTHER_TENANT_ID, ALL_BEHAVIORS),
    ):
        client, secret = create_client(store, tenant_id=tenant, name=name, behaviors=behaviors)
        clients[name] = Client(client.client_id, secret)
    api = Api(shared_router(), {"x-vol-tenant": str(TENANT_ID), "x-vol-site": str(SITE_ID)})
    return World(
        api=api,
        dynamodb=aws["dynamodb"],
        table_name=os.environ["TABLE_NAME"],
        clients=clients,
        mailer=aws["mailer"],
    )
