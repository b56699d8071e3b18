"""Faults at every AWS call of every write path (issue 6, item 4).

For each endpoint that writes, ``SCENARIOS`` declares the AWS calls a normal request makes, in
order (``test_a_clean_request_makes_the_declared_calls`` checks the declaration against what the
service really does). Each call then gets each fault that call can meet:

- ``throttled``: 400 ProvisionedThroughputExceededException (ThrottlingException on
  TransactWriteItems and on EventBridge);
- ``timeout``: botocore's ReadTimeoutError, raised before the request leaves;
- ``500``: DynamoDB's InternalServerError (EventBridge's InternalException);
- on TransactWriteItems, ``conflict`` (TransactionCanceledException, reason TransactionConflict)
  and ``txn-throttled`` (TransactionCanceledException, reason ThrottlingError);
- on BatchGetItem, ``unprocessed`` (a 200 that leaves every key unprocessed: a throttled batch);
- on EventBridge's PutEvents, ``failed-entry`` (a 200 with FailedEntryCount 1).

Each fault is injected twice. ``persistent`` (every attempt of that call and of every later call of
the same operation, so that the service's own retries meet it too) must end in 503
SERVICE_UNAVAILABLE with a Retry-After header and the table exactly as before. ``transient`` (the
first attempt only) must be absorbed by the SDK's standard retries (4 attempts, backoff sleeps
patched out) or by the service's own: the answer a clean request gets, and the table a clean
request leaves, up to its random parts (ids, digests, password hashes, sealed tokens, a new
account's id; the clock is frozen, so every timestamp matches). ``txn-throttled`` and
``failed-entry`` are retried by neither, so even once they must end in 503 with the table as before.

The matrix (``MATRIX_SIZE``): 39 requests making 99 DynamoDB calls and 10 EventBridge calls;
420 (call, fault) pairs:

    99 DynamoDB calls x 3 (throttled, timeout, 500)                   297
    18 of them TransactWriteItems x 2 more (conflict, txn-throttled)   36
    47 of them BatchGetItem x 1 more (unprocessed)                     47
    10 PutEvents x 4 (throttled, failed-entry, timeout, 500)           40

each persistent and transient: 840 cases. Plus 12 double faults (a 2FA code request, a password
reset, a passwordless sign-in code request or an email change whose event cannot be put, and whose
undoing write fails too), one clean request per endpoint and a check of these counts: 892 tests.

Four of the PutEvents are security notices (a changed password, three ways, and a deleted account),
put after the change they report and best effort (``Scenario.best_effort``): a fault there, however
persistent, leaves the answer and the table exactly as a clean request does.
(The app token reads its tenant too, and Change-Password on a locked login refuses after its read,
so it no longer writes.)

Delete account is two steps on purpose: when a call after its first write fails for good, the
table is not as before but must be resumable (``Scenario.resumable``): the login marked deleted,
its password and sessions refused, and the same DELETE again leaving what a clean one leaves.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from customer_auth.api import runtime
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from tests.faults.conftest import (
    CONFLICT,
    FAILED_ENTRY,
    SERVER_ERROR,
    THROTTLED,
    TIMEOUT,
    TXN_THROTTLED,
    UNPROCESSED,
    Bed,
    Context,
    Fault,
    Injector,
    Items,
    Stage,
)
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import TENANT_ID, HttpResult, World

PASSWORD = "correct horse battery staple"
EMAIL = "shopper@example.com"
GUEST_EMAIL = "guest@example.com"
NEW_EMAIL = "new@example.com"
OAUTH = "/api/platform/applications/authtickets/oauth"
APP_TICKETS = "/api/platform/applications/authtickets"
ACCOUNTS = "/api/commerce/customer/accounts"
AUTHTICKETS = "/api/commerce/customer/authtickets"


# -- preconditions ----------------------------------------------------------------------------------
def _credentials(world: World) -> dict[str, str]:
    full = world.clients["full"]
    return {"client_id": full.client_id, "client_secret": full.secret, "grant_type": "client_credentials"}


def _app_credentials(world: World) -> dict[str, str]:
    full = world.clients["full"]
    return {"applicationId": full.client_id, "sharedSecret": full.secret}


def _base(world: World, _: Context) -> Context:
    """A tenant asking a second factor of new devices; an app token and an older-style app
    ticket; a shopper with a login (trusting device-A) and the session Create-Login started."""
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, two_factor_policy=TwoFactorPolicy(on_new_fingerprint=True)))
    tokens = ok(world.api.call("POST", OAUTH, _credentials(world)))
    app_ticket = ok(world.api.call("POST", APP_TICKETS, _app_credentials(world)))
    app = tokens["access_token"]
    account_id = world.add_account(app, emailAddress=EMAIL)["id"]
    login = {"emailAddress": EMAIL, "password": PASSWORD, "fingerprint": "device-A", "region": "US"}
    ticket = ok(world.create_login(account_id, login, token=app))
    return {
        "app": app,
        "app_refresh": tokens["refresh_token"],
        "app_ticket_refresh": app_ticket["refreshToken"],
        "account_id": account_id,
        "refresh": ticket["refreshToken"],
    }


def _guest(world: World, context: Context) -> Context:
    return {"guest_id": world.add_account(context["app"], emailAddress=GUEST_EMAIL)["id"]}


def _waiting(world: World, context: Context) -> Context:
    """A sign-in from device-B, waiting for its second factor."""
    body = {"username": EMAIL, "password": PASSWORD, "fingerprint": "device-B", "region": "US"}
    ticket = ok(world.api.call("POST", AUTHTICKETS, body, token=context["app"]))
    assert ticket["requires2FA"] is True
    return {"waiting": ticket["accessToken"], "user_id": ticket["userId"]}


def _code_sent(world: World, context: Context) -> Context:
    world.mailer.codes()  # whatever earlier cases sent
    assert _request_code(world, context).status == 204
    (code,) = world.mailer.codes()
    return {"code": code}


def _locked(world: World, context: Context) -> Context:
    path = f"{ACCOUNTS}/{context['account_id']}/Set-Login-Locked"
    assert world.api.call("POST", path, token=context["app"], raw_body=b"true").status == 204
    return {}


def _untrusted_cooldown(world: World, context: Context) -> Context:
    """Issue 16: five wrong passwords from a device the login does not trust lock untrusted
    clients out; device-A, trusted, keeps its own count."""
    for _ in range(5):
        assert _sign_in(world, context, EMAIL, "not the password at all", "device-C").status == 401
    return {}


def _reset_code_sent(world: World, context: Context) -> Context:
    world.mailer.events()  # whatever earlier cases sent
    assert _reset(world, context, EMAIL).status == 200
    (code,) = world.mailer.reset_codes()
    return {"reset_code": code}


def _passwordless(world: World, _: Context) -> Context:
    """The tenant lets shoppers sign in with an emailed code (issue 17)."""
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(
        store, replace(tenant, sign_in_policy=replace(tenant.sign_in_policy, passwordless_sign_in=True))
    )
    return {}


def _otp_sent(world: World, context: Context) -> Context:
    world.mailer.events()  # whatever earlier cases sent
    assert _otp_request(world, context, EMAIL).status == 204
    (code,) = world.mailer.otp_sign_in_codes()
    return {"otp": code}


STAGES = {
    stage.name: stage
    for stage in (
        Stage("base", None, _base),
        Stage("passwordless", "base", _passwordless),
        Stage("otp sent", "passwordless", _otp_sent),
        Stage("reset code sent", "base", _reset_code_sent),
        Stage("guest", "base", _guest),
        Stage("locked", "base", _locked),
        Stage("untrusted cooldown", "base", _untrusted_cooldown),
        Stage("waiting", "base", _waiting),
        Stage("code sent", "waiting", _code_sent),
    )
}


# -- the requests -----------------------------------------------------------------------------------
def _sign_in(world: World, context: Context, username: str, password: str, device: str) -> HttpResult:
    body = {"username": username, "password": password, "fingerprint": device, "region": "US"}
    return world.api.call("POST", AUTHTICKETS, body, token=context["app"])


def _request_code(world: World, context: Context) -> HttpResult:
    return world.api.call(
        "POST",
        f"{AUTHTICKETS}/2fa/request",
        token=context["app"],
        headers={"x-vol-user-claims": context["waiting"]},
    )


def _verify(world: World, context: Context, code: str) -> HttpResult:
    return world.api.call(
        "POST",
        f"{AUTHTICKETS}/2fa/auth",
        {"userId": context["user_id"], "otpCode": code},
        token=context["app"],
        headers={"x-vol-user-claims": context["waiting"]},
    )


def _log_out(world: World, context: Context, scope: str) -> HttpResult:
    query = {"refreshToken": context["refresh"], "scope": scope}
    return world.api.call("DELETE", AUTHTICKETS, token=context["app"], query=query)


def _reset(world: World, context: Context, email: str) -> HttpResult:
    return world.api.call("POST", f"{ACCOUNTS}/Reset-Password", {"emailAddress": email}, token=context["app"])


def _update_forgotten(world: World, context: Context, code: str) -> HttpResult:
    body = {"userName": EMAIL, "confirmationCode": code, "newPassword": "a recovered passphrase"}
    return world.api.call("POST", f"{ACCOUNTS}/Update-Forgotten-Password", body, token=context["app"])


def _otp_request(world: World, context: Context, email: str) -> HttpResult:
    return world.api.call("POST", f"{AUTHTICKETS}/otp/request", {"email": email}, token=context["app"])


def _otp_sign_in(world: World, context: Context, email: str, code: str) -> HttpResult:
    body = {"email": email, "otpCode": code, "fingerprint": "device-A", "region": "US"}
    return world.api.call("POST", f"{AUTHTICKETS}/otp/auth", body, token=context["app"])


def _update(world: World, context: Context, change: dict[str, Any]) -> HttpResult:
    body = {"emailAddress": EMAIL, "firstName": "Ada", **change}
    return world.api.call("PUT", f"{ACCOUNTS}/{context['account_id']}", body, token=context["app"])


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


Request = Callable[[World, Context], HttpResult]
BATCH, GET, PUT, UPDATE, DELETE, TRANSACT, EVENTS, QUERY, BATCH_WRITE = (
    "BatchGetItem",
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "TransactWriteItems",
    "PutEvents",
    "Query",
    "BatchWriteItem",
)


@dataclass(frozen=True)
class Scenario:
    name: str
    stage: str
    request: Request
    calls: tuple[str, ...]
    """The AWS calls of a clean request, in order."""
    status: int
    """A clean request's status."""
    new_account: Callable[[Any], int] | None = None
    """The random id of the account the request creates, from its reply."""
    resumable: bool = False
    """A request of two steps (Delete account) whose first may stand when a later call fails:
    then the login must be unusable, and the same request again must finish the job."""
    best_effort: tuple[int, ...] = ()
    """Calls (by index) whose failure the request rides over: a security notice's PutEvents."""


SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "app-token",
            "base",
            lambda w, c: w.api.call("POST", OAUTH, _credentials(w)),
            (GET, GET, PUT),
            200,
        ),
        Scenario(
            "app-token-renew",
            "base",
            lambda w, c: w.api.call("POST", OAUTH, {**_credentials(w), "refresh_token": c["app_refresh"]}),
            (BATCH, GET, TRANSACT),
            200,
        ),
        Scenario(
            "app-ticket",
            "base",
            lambda w, c: w.api.call("POST", APP_TICKETS, _app_credentials(w)),
            (GET, GET, PUT),
            200,
        ),
        Scenario(
            "app-ticket-refresh",
            "base",
            lambda w, c: w.api.call(
                "PUT", f"{APP_TICKETS}/refresh-ticket", {"refreshToken": c["app_ticket_refresh"]}
            ),
            (GET, GET, GET, TRANSACT),
            200,
        ),
        Scenario(
            "app-ticket-delete",
            "base",
            lambda w, c: w.api.call("DELETE", f"{APP_TICKETS}/{c['app_ticket_refresh']}"),
            (DELETE,),
            200,
        ),
        Scenario(
            "add-account",
            "base",
            lambda w, c: w.api.call("POST", ACCOUNTS, {"emailAddress": NEW_EMAIL}, token=c["app"]),
            (PUT,),
            200,
            new_account=lambda body: body["id"],
        ),
        Scenario(
            "create-login",
            "guest",
            lambda w, c: w.create_login(
                c["guest_id"], {"emailAddress": GUEST_EMAIL, "password": PASSWORD}, token=c["app"]
            ),
            (BATCH, TRANSACT),
            200,
        ),
        Scenario(
            "add-account-and-login",
            "base",
            lambda w, c: w.api.call(
                "POST",
                f"{ACCOUNTS}/Add-Account-And-Login",
                {"account": {"emailAddress": NEW_EMAIL, "userName": NEW_EMAIL}, "password": PASSWORD},
                token=c["app"],
            ),
            (GET, TRANSACT),
            200,
            new_account=lambda body: body["customerAccount"]["id"],
        ),
        Scenario(
            "sign-in",
            "base",
            lambda w, c: _sign_in(w, c, EMAIL, PASSWORD, "device-A"),
            (BATCH, BATCH, TRANSACT),
            200,
        ),
        Scenario(
            "sign-in-wrong-password",
            "base",
            lambda w, c: _sign_in(w, c, EMAIL, "not the password at all", "device-A"),
            (BATCH, BATCH, PUT),
            401,
        ),
        Scenario(
            "sign-in-wrong-password-untrusted-device",
            "base",
            lambda w, c: _sign_in(w, c, EMAIL, "not the password at all", "device-C"),
            (BATCH, BATCH, PUT),
            401,
        ),
        Scenario(
            "sign-in-trusted-device-during-untrusted-cooldown",
            "untrusted cooldown",
            lambda w, c: _sign_in(w, c, EMAIL, PASSWORD, "device-A"),
            (BATCH, BATCH, TRANSACT),
            200,
        ),
        Scenario(
            "sign-in-unknown-user",
            "base",
            lambda w, c: _sign_in(w, c, "nobody@example.com", PASSWORD, "device-A"),
            (BATCH, BATCH, UPDATE),
            401,
        ),
        Scenario(
            "sign-in-waiting-for-2fa",
            "base",
            lambda w, c: _sign_in(w, c, EMAIL, PASSWORD, "device-B"),
            (BATCH, BATCH, TRANSACT),
            200,
        ),
        Scenario(
            "refresh",
            "base",
            lambda w, c: w.api.call(
                "PUT", f"{AUTHTICKETS}/refresh", {"refreshToken": c["refresh"]}, token=c["app"]
            ),
            (BATCH, TRANSACT),
            200,
        ),
        Scenario("log-out-local", "base", lambda w, c: _log_out(w, c, "local"), (BATCH, DELETE), 204),
        Scenario("log-out-global", "base", lambda w, c: _log_out(w, c, "global"), (BATCH, PUT), 204),
        Scenario(
            "change-password",
            "base",
            lambda w, c: w.api.call(
                "POST",
                f"{ACCOUNTS}/{c['account_id']}/Change-Password",
                {"oldPassword": PASSWORD, "newPassword": "another long passphrase"},
                token=c["app"],
            ),
            (BATCH, PUT, EVENTS),
            204,
            best_effort=(2,),
        ),
        Scenario(
            "change-password-locked",
            "locked",
            lambda w, c: w.api.call(
                "POST",
                f"{ACCOUNTS}/{c['account_id']}/Change-Password",
                {"oldPassword": PASSWORD, "newPassword": "another long passphrase"},
                token=c["app"],
                query={"unlockAccount": "true"},
            ),
            (BATCH,),
            403,
        ),
        Scenario(
            "set-login-locked",
            "base",
            lambda w, c: w.api.call(
                "POST", f"{ACCOUNTS}/{c['account_id']}/Set-Login-Locked", token=c["app"], raw_body=b"true"
            ),
            (BATCH, TRANSACT),
            204,
        ),
        Scenario(
            "set-password-change-required",
            "base",
            lambda w, c: w.api.call(
                "POST",
                f"{ACCOUNTS}/{c['account_id']}/Set-Password-Change-Required",
                token=c["app"],
                raw_body=b"true",
            ),
            (BATCH, PUT),
            204,
        ),
        Scenario(
            "change-passwords",
            "base",
            lambda w, c: w.api.call(
                "POST",
                f"{ACCOUNTS}/Change-Passwords",
                {
                    "items": [
                        {
                            "accountId": c["account_id"],
                            "passwordInfo": {"newPassword": "a migrated passphrase"},
                        }
                    ]
                },
                token=c["app"],
            ),
            (BATCH, PUT, EVENTS),
            200,
            best_effort=(2,),
        ),
        Scenario(
            "reset-password", "base", lambda w, c: _reset(w, c, EMAIL), (BATCH, BATCH, PUT, EVENTS), 200
        ),
        Scenario(
            "reset-password-unknown",
            "base",
            lambda w, c: _reset(w, c, NEW_EMAIL),
            (BATCH, BATCH, UPDATE, EVENTS),
            200,
        ),
        Scenario(
            "update-forgotten-password",
            "reset code sent",
            lambda w, c: _update_forgotten(w, c, c["reset_code"]),
            (BATCH, BATCH, TRANSACT, EVENTS),
            200,
            best_effort=(3,),
        ),
        Scenario(
            "update-forgotten-password-wrong-code",
            "reset code sent",
            lambda w, c: _update_forgotten(w, c, "W" * 43),
            (BATCH, BATCH, PUT),
            401,
        ),
        Scenario(
            "anonymous-shopper",
            "base",
            lambda w, c: w.api.call("GET", f"{AUTHTICKETS}/anonymousshopper", token=c["app"]),
            (GET, TRANSACT),
            200,
        ),
        Scenario(
            "update-account",
            "base",
            lambda w, c: _update(w, c, {"firstName": "Augusta"}),
            (BATCH, TRANSACT),
            200,
        ),
        Scenario(
            "update-account-email",
            "base",
            lambda w, c: _update(w, c, {"emailAddress": NEW_EMAIL}),
            (BATCH, TRANSACT, EVENTS),
            200,
        ),
        Scenario(
            "delete-account",
            "base",
            lambda w, c: w.api.call("DELETE", f"{ACCOUNTS}/{c['account_id']}", token=c["app"]),
            (BATCH, PUT, QUERY, BATCH_WRITE, TRANSACT, EVENTS),
            204,
            resumable=True,
            best_effort=(5,),
        ),
        Scenario(
            "delete-account-without-login",
            "guest",
            lambda w, c: w.api.call("DELETE", f"{ACCOUNTS}/{c['guest_id']}", token=c["app"]),
            (BATCH, QUERY, TRANSACT),
            204,
        ),
        Scenario("2fa-request", "waiting", _request_code, (BATCH, PUT, EVENTS), 204),
        Scenario("2fa-verify", "code sent", lambda w, c: _verify(w, c, c["code"]), (BATCH, TRANSACT), 200),
        Scenario(
            "2fa-verify-wrong-code",
            "code sent",
            lambda w, c: _verify(w, c, _wrong(c["code"])),
            (BATCH, PUT),
            401,
        ),
        Scenario(
            "otp-request",
            "passwordless",
            lambda w, c: _otp_request(w, c, EMAIL),
            (BATCH, BATCH, PUT, EVENTS),
            204,
        ),
        Scenario(
            "otp-request-unknown",
            "passwordless",
            lambda w, c: _otp_request(w, c, NEW_EMAIL),
            (BATCH, BATCH, UPDATE, EVENTS),
            204,
        ),
        Scenario(
            "otp-sign-in",
            "otp sent",
            lambda w, c: _otp_sign_in(w, c, EMAIL, c["otp"]),
            (BATCH, BATCH, TRANSACT),
            200,
        ),
        Scenario(
            "otp-sign-in-wrong-code",
            "otp sent",
            lambda w, c: _otp_sign_in(w, c, EMAIL, _wrong(c["otp"])),
            (BATCH, BATCH, TRANSACT),
            401,
        ),
        Scenario(
            "otp-sign-in-unknown",
            "otp sent",
            lambda w, c: _otp_sign_in(w, c, NEW_EMAIL, c["otp"]),
            (BATCH, BATCH, UPDATE),
            401,
        ),
    )
}

FAULTS_OF = {
    BATCH: (THROTTLED, UNPROCESSED, TIMEOUT, SERVER_ERROR),
    TRANSACT: (THROTTLED, CONFLICT, TXN_THROTTLED, TIMEOUT, SERVER_ERROR),
    EVENTS: (THROTTLED, FAILED_ENTRY, TIMEOUT, SERVER_ERROR),
}
SINGLE_ITEM_FAULTS = (THROTTLED, TIMEOUT, SERVER_ERROR)
SDK_RETRIED = {THROTTLED, TIMEOUT, SERVER_ERROR}
MAX_ATTEMPTS = 4
"""The service's clients: retries mode standard, ``max_attempts`` 3, which botocore's retries
config counts as retries after the first attempt (``total_max_attempts`` counts all)."""
NOT_RETRIED = {TXN_THROTTLED, FAILED_ENTRY}
"""Faults neither the SDK (not a throttling error code) nor the service retries: even once, 503."""


@dataclass(frozen=True)
class Case:
    scenario: str
    faults: tuple[Fault, ...]
    id: str

    @property
    def expects_unavailable(self) -> bool:
        best_effort = SCENARIOS[self.scenario].best_effort
        return any((f.persistent or f.kind in NOT_RETRIED) and f.at not in best_effort for f in self.faults)


def _matrix() -> list[Case]:
    cases = []
    for scenario in SCENARIOS.values():
        for at, operation in enumerate(scenario.calls):
            for kind in FAULTS_OF.get(operation, SINGLE_ITEM_FAULTS):
                for persistent in (True, False):
                    mode = "persistent" if persistent else "transient"
                    cases.append(
                        Case(
                            scenario.name,
                            (Fault(at, kind, persistent),),
                            f"{scenario.name}-{at}-{operation}-{kind}-{mode}",
                        )
                    )
    return cases


MATRIX = _matrix()
MATRIX_SIZE = len(MATRIX)
"""Every (endpoint, call, fault, persistent or transient): 840."""

UNDO_CASES = (
    [
        # The code request's event cannot be put (4 attempts), so the service deletes the code it
        # wrote, at call 3; that delete fails too. The code stays issued but was never sent: the
        # table is as a successful request leaves it (the shopper may ask again in 30 s).
        Case(
            "2fa-request",
            (Fault(2, SERVER_ERROR, persistent=True), Fault(3, kind, persistent=True)),
            f"2fa-request-2-PutEvents-500-persistent-then-3-DeleteItem-{kind}-persistent",
        )
        for kind in SINGLE_ITEM_FAULTS
    ]
    + [
        # Likewise a password reset's confirmation code (call 3 the event, call 4 the undoing delete).
        Case(
            "reset-password",
            (Fault(3, SERVER_ERROR, persistent=True), Fault(4, kind, persistent=True)),
            f"reset-password-3-PutEvents-500-persistent-then-4-DeleteItem-{kind}-persistent",
        )
        for kind in SINGLE_ITEM_FAULTS
    ]
    + [
        # Likewise a passwordless sign-in code (call 3 the event, call 4 the undoing delete).
        Case(
            "otp-request",
            (Fault(3, SERVER_ERROR, persistent=True), Fault(4, kind, persistent=True)),
            f"otp-request-3-PutEvents-500-persistent-then-4-DeleteItem-{kind}-persistent",
        )
        for kind in SINGLE_ITEM_FAULTS
    ]
    + [
        # An email change whose event cannot be put is undone (call 3, a transaction); that fails too.
        Case(
            "update-account-email",
            (Fault(2, SERVER_ERROR, persistent=True), Fault(3, kind, persistent=True)),
            f"update-account-email-2-PutEvents-500-persistent-then-3-TransactWriteItems-{kind}-persistent",
        )
        for kind in SINGLE_ITEM_FAULTS
    ]
)


# -- comparing tables -------------------------------------------------------------------------------
_RANDOM = (
    (re.compile(r"\$argon2id\$[^\"\\]*"), "<hash>"),
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])"), "<digest>"),
    (re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])"), "<id>"),
)


def normalized(items: Items, new_account: int | None = None) -> list[str]:
    """The table with its random parts replaced by placeholders, in a stable order."""
    texts = []
    for item in items:
        if "sealedHead" in item:
            item = {**item, "sealedHead": {"S": "<sealed>"}}
        text = json.dumps(item, sort_keys=True)
        for pattern, placeholder in _RANDOM:
            text = pattern.sub(placeholder, text)
        if new_account is not None:
            text = re.sub(rf"(?<!\d){new_account}(?!\d)", "<new account>", text)
        texts.append(text)
    return sorted(texts)


def difference(expected: Items, actual: Items) -> str:
    """Which items a request added, removed or changed: for the assertion's message."""
    by_key = {(i["pk"]["S"], i["sk"]["S"]): i for i in expected}
    now = {(i["pk"]["S"], i["sk"]["S"]): i for i in actual}
    added = sorted(now.keys() - by_key.keys())
    removed = sorted(by_key.keys() - now.keys())
    changed = {
        k: sorted(n for n in by_key[k].keys() | now[k].keys() if by_key[k].get(n) != now[k].get(n))
        for k in by_key.keys() & now.keys()
        if by_key[k] != now[k]
    }
    return f"added {added}; removed {removed}; changed (attributes) {changed}"


def assert_resumable(bed: Bed, scenario: Scenario, context: Context, after: Items, clean: "Clean") -> None:
    """A delete stopped after its first step: the login is marked deleted at a new generation
    (so no session and no password works), and the same request again finishes the job."""
    logins = [item for item in after if item["sk"]["S"] == "LOGIN"]
    assert len(logins) == 1, logins
    assert "deletedAt" in logins[0]
    assert_error(_sign_in(bed.world, context, EMAIL, PASSWORD, "device-A"), 401, "INVALID_CREDENTIALS")
    refreshed = bed.world.api.call(
        "PUT", f"{AUTHTICKETS}/refresh", {"refreshToken": context["refresh"]}, token=context["app"]
    )
    assert_error(refreshed, 401, "INVALID_TOKEN")
    again = scenario.request(bed.world, context)
    assert again.status == scenario.status, again.text
    assert normalized(bed.scan()) == clean.table


# -- the tests --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clean:
    status: int
    table: list[str]


@pytest.fixture
def staged(bed: Bed) -> Bed:
    bed.stages = STAGES
    return bed


def clean_run(bed: Bed, scenario: Scenario) -> tuple[Clean, Injector]:
    context, _ = bed.prepare(scenario.stage)
    result, injector, after = bed.run(lambda: scenario.request(bed.world, context))
    assert result.status == scenario.status, result.text
    clean = Clean(result.status, normalized(after, new_account_of(scenario, result)))
    bed.memo[scenario.name] = clean
    return clean, injector


def clean_outcome(bed: Bed, scenario: Scenario) -> Clean:
    if scenario.name not in bed.memo:
        clean_run(bed, scenario)
    clean: Clean = bed.memo[scenario.name]
    return clean


def new_account_of(scenario: Scenario, result: HttpResult) -> int | None:
    if scenario.new_account is None or result.status != 200:
        return None
    return scenario.new_account(result.json)


def assert_unavailable(result: HttpResult) -> None:
    assert_error(result, 503, "SERVICE_UNAVAILABLE")
    retry_after = result.headers.get("retry-after", "")
    assert retry_after.isdigit(), f"503 without a Retry-After: {result.headers}"
    assert int(retry_after) > 0


def test_the_matrix_is_the_size_documented() -> None:
    assert (len(SCENARIOS), MATRIX_SIZE, len(UNDO_CASES)) == (39, 840, 12)


@pytest.mark.parametrize("scenario", list(SCENARIOS.values()), ids=lambda s: s.name)
def test_a_clean_request_makes_the_declared_calls(staged: Bed, scenario: Scenario) -> None:
    _, injector = clean_run(staged, scenario)
    # The bed puts the stage's table back exactly (the fault cases rely on it, unscanned).
    _, stage_items = staged.prepare(scenario.stage)
    assert staged.scan() == stage_items

    assert tuple(injector.calls) == scenario.calls
    assert injector.attempts == [1] * len(scenario.calls)
    assert injector.injected == []


@pytest.mark.parametrize("case", MATRIX + UNDO_CASES, ids=lambda c: c.id)
def test_a_fault_leaves_the_table_as_before_or_as_after(staged: Bed, case: Case) -> None:
    bed, scenario = staged, SCENARIOS[case.scenario]
    clean = clean_outcome(bed, scenario)
    context, before = bed.prepare(scenario.stage)

    result, injector, after = bed.run(lambda: scenario.request(bed.world, context), *case.faults)

    first = case.faults[0]
    assert injector.injected, f"no fault injected; the calls were {injector.calls}"
    assert injector.injected[0][:2] == (first.at, scenario.calls[first.at]), injector.calls
    if first.kind in SDK_RETRIED:
        # The SDK's standard retries met the fault: every attempt of a persistent one, the
        # first of a transient one (whose retry went through).
        assert injector.attempts[first.at] == (MAX_ATTEMPTS if first.persistent else 2)
    assert result.status != 500, f"500 INTERNAL_ERROR: {result.text}"
    if case.expects_unavailable:
        assert_unavailable(result)
        if case in UNDO_CASES:
            assert after == before or normalized(after) == clean.table, difference(before, after)
        elif scenario.resumable and after != before:
            assert_resumable(bed, scenario, context, after, clean)
        else:
            assert after == before, f"not as before: {difference(before, after)}"
    else:
        assert result.status == clean.status, result.text
        assert normalized(after, new_account_of(scenario, result)) == clean.table, (
            f"not as a clean request leaves it: {difference(before, after)}"
        )
