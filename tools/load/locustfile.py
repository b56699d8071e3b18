"""The load test's shopper: signs in, then refreshes and reads its account, now and then signing in
again. Every response must be 2xx and say what it should (the right account, a ticket for the same
session); anything else is a failure in locust's statistics. Every session and token the shopper
is handed goes into ``PLAN.ledger``, which the runner checks against the table afterwards.

The runner (``python -m tools.load``) fills ``PLAN`` (app token, provisioned shoppers) before it
spawns users: on its own this file has no shoppers to sign in as.
"""

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser, ResponseContextManager

from .sessions import Ledger

ACCOUNTS = "/api/commerce/customer/accounts"
TICKETS = "/api/commerce/customer/authtickets"


@dataclass(frozen=True)
class Credentials:
    account_id: int
    email: str
    password: str


@dataclass
class Plan:
    headers: dict[str, str] = field(default_factory=dict)
    """Tenant, site, content type and the app token's Authorization header."""
    shoppers: deque[Credentials] = field(default_factory=deque)
    """One per user: each user takes its own, so no two users share a login."""
    ledger: Ledger = field(default_factory=Ledger)
    current: dict[int, str] = field(default_factory=dict)
    """Each shopper's account id -> the sid of the session it is using now."""


PLAN = Plan()


def _reason(response: ResponseContextManager) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    code = body.get("errorCode") if isinstance(body, dict) else None
    failure = getattr(response, "error", None) if not response.status_code else None  # no answer
    error = f" {failure!r}" if failure else ""
    return f"HTTP {response.status_code} {code or ''}{error}".strip()


class Shopper(FastHttpUser):
    wait_time = constant(0)
    """No think time: 50 clients as fast as the server answers (a closed loop)."""
    network_timeout = 300.0
    connection_timeout = 300.0
    """Never give up on a request the server may still complete: a refresh that succeeded but whose
    answer was dropped would lose the shopper its newest token."""

    shopper: Credentials
    sid: str | None = None

    def on_start(self) -> None:
        self.shopper = PLAN.shoppers.popleft()
        self.sign_in()

    def _call(
        self, method: str, path: str, name: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        """The JSON body of a 2xx answer, else ``None`` (and the request counts as a failure)."""
        with self.client.request(
            method,
            path,
            name=name,
            json=body,
            headers={**PLAN.headers, **(headers or {})},
            catch_response=True,
        ) as response:
            if not 200 <= response.status_code < 300:
                response.failure(_reason(response))
                return None
            try:
                data = response.json()
            except ValueError:
                response.failure(f"HTTP {response.status_code}, not JSON")
                return None
            if not isinstance(data, dict):
                response.failure("not a JSON object")
                return None
            response.success()
            return data

    def _expect(self, name: str, problem: str) -> None:
        """A 2xx answer that says the wrong thing: a failure of its own in the statistics."""
        self.environment.events.request.fire(
            request_type="CHECK",
            name=name,
            response_time=0,
            response_length=0,
            exception=AssertionError(problem),
            context={},
        )

    @task(1)
    def sign_in(self) -> None:
        ticket = self._call(
            "POST", TICKETS, "sign in", {"username": self.shopper.email, "password": self.shopper.password}
        )
        if ticket is None:
            return
        if ticket.get("customerAccount", {}).get("id") != self.shopper.account_id:
            self._expect("sign in", "a ticket for another account")
            return
        self.sid = PLAN.ledger.started(ticket)
        PLAN.current[self.shopper.account_id] = self.sid

    @task(4)
    def refresh(self) -> None:
        if self.sid is None:
            self.sign_in()
            return
        head = PLAN.ledger.sessions[self.sid].head
        ticket = self._call("PUT", f"{TICKETS}/refresh", "refresh", {"refreshToken": head})
        if ticket is None:
            self.sid = None  # start over with a new session
            return
        PLAN.ledger.rotated(self.sid, ticket)

    @task(2)
    def get_account(self) -> None:
        account = self._call("GET", f"{ACCOUNTS}/{self.shopper.account_id}", "get account")
        if account is not None and account.get("id") != self.shopper.account_id:
            self._expect("get account", "another account")

    @task(2)
    def current_account(self) -> None:
        if self.sid is None:
            self.sign_in()
            return
        claims = PLAN.ledger.sessions[self.sid].access_token
        account = self._call(
            "GET", f"{ACCOUNTS}/current", "current account", headers={"x-vol-user-claims": claims}
        )
        if account is not None and account.get("id") != self.shopper.account_id:
            self._expect("current account", "another shopper's account")
