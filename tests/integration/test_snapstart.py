"""SnapStart's runtime hooks (customer_auth/api/snapstart.py), run as Lambda's runtime runs them:
before the snapshot they build what a first request would, after a restore the signing keys are
read again, and a function restored from a snapshot answers as one started cold."""

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
import snapshot_restore_py

from customer_auth.api import runtime, snapstart
from customer_auth.models.account import CustomerAccount
from tests.support.fixtures import SITE_ID, TENANT_ID, Api, World
from tools.local_api.router import Router


def _run_before_snapshot() -> None:
    """What Lambda's runtime does before it snapshots: the hooks, last registered first."""
    hooks = snapshot_restore_py.get_before_snapshot()
    while hooks:
        function, args, kwargs = hooks.pop()
        function(*args, **kwargs)


def _run_after_restore() -> None:
    for function, args, kwargs in snapshot_restore_py.get_after_restore():
        function(*args, **kwargs)


@pytest.fixture
def hooks() -> Iterator[None]:
    """Empty registries before and after, as in a fresh environment."""
    snapshot_restore_py.get_before_snapshot().clear()
    snapshot_restore_py.get_after_restore().clear()
    snapstart._registered.clear()
    yield
    snapshot_restore_py.get_before_snapshot().clear()
    snapshot_restore_py.get_after_restore().clear()
    snapstart._registered.clear()


@pytest.fixture
def snap_start(monkeypatch: pytest.MonkeyPatch, hooks: None) -> None:
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")


def _functions(*names: str) -> tuple[Router, Api]:
    """The named functions loaded afresh (their init runs now), and an API over them."""
    router = Router()
    router.routes = [route for route in router.routes if route.function in names]
    router._patterns = [(r, p) for r, p in router._patterns if r.function in names]
    for route in router.routes:
        router.module(route)
    return router, Api(router, {"x-vol-tenant": str(TENANT_ID), "x-vol-site": str(SITE_ID)})


def _kid(token: str) -> str:
    kid: str = jwt.get_unverified_header(token)["kid"]
    return kid


def test_on_demand_functions_register_no_hooks(hooks: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    _functions("GetAccountFunction")
    assert snapshot_restore_py.get_before_snapshot() == []
    assert snapshot_restore_py.get_after_restore() == []


def test_before_the_snapshot_the_clients_validators_and_models_are_built(
    world: World, snap_start: None
) -> None:
    runtime.store.cache_clear()
    runtime.secrets_provider.cache_clear()
    router, _ = _functions("GetAccountFunction")
    app = router.module(router.routes[0]).app
    assert len(snapshot_restore_py.get_before_snapshot()) == 1
    assert len(snapshot_restore_py.get_after_restore()) == 1
    CustomerAccount.__pydantic_complete__ = False  # as defer_build leaves it until first use
    routes = [*app._static_routes, *app._dynamic_routes]
    assert all(route._dependant is None for route in routes)

    _run_before_snapshot()

    assert runtime.store.cache_info().currsize == 1
    assert runtime.secrets_provider.cache_info().currsize == 1
    assert all(route._dependant is not None for route in routes)
    assert CustomerAccount.__pydantic_complete__ is True


def test_a_restored_function_reads_the_signing_keys_again_and_signs_with_the_rotated_key(
    world: World, snap_start: None
) -> None:
    _, api = _functions("AppTokenFunction", "GetAccountFunction")
    credentials = world.clients["full"]
    body = {
        "client_id": credentials.client_id,
        "client_secret": credentials.secret,
        "grant_type": "client_credentials",
    }

    def app_token() -> str:
        result = api.call("POST", "/api/platform/applications/authtickets/oauth", body)
        assert result.status == 200, result.text
        token: str = result.json["access_token"]
        return token

    _run_before_snapshot()
    before = app_token()  # the keys are read and cached for minutes
    boto3.client("secretsmanager").put_secret_value(
        SecretId=os.environ["SIGNING_KEYS_SECRET_ID"], SecretString=json.dumps({"seed": "r" * 64})
    )
    assert _kid(app_token()) == _kid(before), "without a restore the cached keys sign"

    _run_after_restore()

    after = app_token()
    assert _kid(after) != _kid(before)
    account = world.add_account()
    result = api.call("GET", f"/api/commerce/customer/accounts/{account['id']}", token=after)
    assert (result.status, result.json["id"]) == (200, account["id"])


def test_registering_twice_for_one_app_adds_no_second_hook(world: World, snap_start: None) -> None:
    router, _ = _functions("JwksFunction")
    app: Any = router.module(router.routes[0]).app
    assert snapstart.register(app) is False
    assert len(snapshot_restore_py.get_before_snapshot()) == 1
