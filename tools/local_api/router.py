"""Routes of template.yaml matched to requests, and their handlers loaded as Lambda would load them."""

import importlib.util
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from customer_auth import pause
from customer_auth.api.routing import RouteTable, path_pattern

from .. import sam_template
from ..sam_template import Route
from .events import http_api_event, specificity

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and powertools read."""

    function_name: str
    memory_limit_in_mb: int = 256
    aws_request_id: str = ""
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def _load_module(route: Route) -> ModuleType:
    module_file, _, _ = route.handler.partition(".")
    name = f"_local_lambda_{route.function}"
    spec = importlib.util.spec_from_file_location(name, route.code_dir / f"{module_file}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _handler_in(module: ModuleType, route: Route) -> Handler:
    """The handler the template names (``app.lambda_handler``) in the function's loaded module."""
    handler: Handler = getattr(module, route.handler.partition(".")[2])
    return handler


_ONE_INVOCATION_AT_A_TIME = threading.Lock()
"""Lambda gives an environment one event at a time, and powertools' resolver relies on it: it
keeps the current event in class-level state (``BaseRouter.current_event``), shared by every
function loaded in this process. Two concurrent invocations here would read each other's
headers and bodies, so the process runs one at a time, whatever its HTTP concurrency, except
while one waits out a deliberate floor (``_wait_for_others``)."""

_RESOLVER_STATE = ("current_event", "lambda_context")
"""What powertools' resolvers keep on ``BaseRouter`` itself, shared by every function loaded here."""

_running = threading.local()
"""The app whose invocation this thread is running, while it runs one."""


def _wait_for_others(seconds: float) -> None:
    """A deliberate wait (``customer_auth.pause``) spent outside the one-at-a-time lock, so another
    invocation runs meanwhile, as another Lambda environment would: a sign-in padded to 350 ms no
    longer stalls every shopper. The state that powertools and the logger share across invocations
    is put back before this one goes on."""
    app = getattr(_running, "app", None)
    if app is None:  # not inside an invocation of this router (a test calling a service directly)
        time.sleep(seconds)
        return
    from customer_auth.api.observability import logger  # loaded by then: the function imported it

    # The resolver's class state (unset until a resolver has run in this process), the route's
    # context and the log's correlation id.
    resolver_state = {name: vars(BaseRouter)[name] for name in _RESOLVER_STATE if name in vars(BaseRouter)}
    context, correlation_id = dict(app.context), logger.get_correlation_id()
    _ONE_INVOCATION_AT_A_TIME.release()
    try:
        time.sleep(seconds)
    finally:
        _ONE_INVOCATION_AT_A_TIME.acquire()
        for name, value in resolver_state.items():
            setattr(BaseRouter, name, value)
        app.context = context
        logger.set_correlation_id(correlation_id)


class Router:
    """Every HttpApi route of the template, each function's module loaded once (a warm container)."""

    def __init__(self, routes: list[Route] | None = None) -> None:
        self.routes = sorted(routes if routes is not None else sam_template.routes(), key=specificity)
        self._patterns = [(route, path_pattern(route.path)) for route in self.routes]
        self._modules: dict[str, ModuleType] = {}
        self._loading = threading.Lock()
        pause.sleep = _wait_for_others

    @cached_property
    def table(self) -> RouteTable:
        """These routes' paths and methods, as the catch-all's routes.json holds the template's:
        how the local server answers when the routes have no catch-all."""
        from .. import route_table  # which reads the OpenAPI document, made with this router

        return RouteTable.of(route_table.table(self.routes))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route, pattern in self._patterns:
            found = pattern.fullmatch(path)
            if found and route.method in (method, "ANY"):
                return route, found.groupdict()
        return None

    def module(self, route: Route) -> ModuleType:
        with self._loading:
            if route.function not in self._modules:
                self._modules[route.function] = _load_module(route)
            return self._modules[route.function]

    def handler(self, route: Route) -> Handler:
        return _handler_in(self.module(route), route)

    def invoke(self, route: Route, event: dict[str, Any]) -> dict[str, Any]:
        """Run the function's handler on ``event``, as Lambda would: one invocation at a time (but
        for deliberate waits, ``_wait_for_others``)."""
        context = LambdaContext(
            function_name=route.function,
            aws_request_id=secrets.token_hex(16),
            invoked_function_arn=f"arn:aws:lambda:local:0:function:{route.function}",
        )
        module = self.module(route)
        handler = _handler_in(module, route)
        with _ONE_INVOCATION_AT_A_TIME:
            _running.app = getattr(module, "app", None)
            try:
                return handler(event, context)
            finally:
                _running.app = None

    def request(
        self, method: str, raw_path: str, raw_query: str, headers: list[tuple[str, str]], body: bytes
    ) -> dict[str, Any] | None:
        """The handler's API Gateway response for a request, or ``None`` when no route matches."""
        matched = self.match(method, raw_path)
        if matched is None:
            return None
        route, parameters = matched
        event = http_api_event(route, method, raw_path, raw_query, headers, body, path_parameters=parameters)
        return self.invoke(route, event)
