"""Secrets in logs at DEBUG (docs/contract.md §8: never a token, a password or a code in a log line).

Every endpoint runs in one realistic flow with everything turned up as an operator would turn it
up in Lambda: ``POWERTOOLS_LOG_LEVEL=DEBUG`` for the service's logger and the function's
application log level at DEBUG (Lambda's advanced logging controls set the root logger's level from
``AWS_LAMBDA_LOG_LEVEL``), so every stdlib logger that does not set its own level (botocore's
included) logs at DEBUG. Everything written is captured: the file descriptors (capfd: the
powertools JSON lines and anything else printed) and every log record (caplog, formatted with its
arguments and extra fields). Password hashes and token digests may appear (they are what DynamoDB
stores); plaintext passwords, client secrets, tokens, one-time codes and the signing key may not.
"""

import json
import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import pytest

from customer_auth.api import runtime
from customer_auth.api.observability import logger
from customer_auth.domain.apps.provisioning import provision_tenant
from customer_auth.domain.tenants.policies import TwoFactorPolicy
from tests.support.assertions import assert_error, ok
from tests.support.fixtures import TENANT_ID, HttpResult, World

OAUTH = "/api/platform/applications/authtickets/oauth"
APP_TICKETS = "/api/platform/applications/authtickets"
ACCOUNTS = "/api/commerce/customer/accounts"
CURRENT = f"{ACCOUNTS}/current"
ADD_ACCOUNT_AND_LOGIN = f"{ACCOUNTS}/Add-Account-And-Login"
SIGN_IN = "/api/commerce/customer/authtickets"
REFRESH = f"{SIGN_IN}/refresh"
REQUEST_CODE = f"{SIGN_IN}/2fa/request"
VERIFY_CODE = f"{SIGN_IN}/2fa/auth"

EMAIL = "leaky@example.com"
SECOND_EMAIL = "second@example.com"
PASSWORD = "first secret passphrase Q7"
SECOND_PASSWORD = "second secret passphrase K3"
NEW_PASSWORD = "third secret passphrase Z9"
WRONG_PASSWORD = "wrong secret passphrase W1"
UNKNOWN_USERS_PASSWORD = "unknown users passphrase U5"
MALFORMED_BODY_PASSWORD = "malformed body passphrase M2"
MISTYPED_BODY_PASSWORD = "mistyped body passphrase T4"
TOO_LONG_PASSWORD = "too long passphrase L8 " * 50
RECOVERED_PASSWORD = "recovered secret passphrase R6"
ADMIN_PASSWORD = "administered secret passphrase A3"
MIGRATED_PASSWORD = "migrated secret passphrase G2"
TICKET_TOKENS = ("accessToken", "refreshToken", "jwtAccessToken")


class CurrentStdout:
    """Whatever ``sys.stdout`` is when a line is written: the powertools handler bound its stream at
    import, before capture began; pointed here, its lines reach capfd."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


@pytest.fixture
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The service's logger and the root logger at DEBUG, the service's lines to the current stdout."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous_stream = handler.setStream(CurrentStdout())
    previous_level = logger.log_level
    logger.setLevel("DEBUG")
    caplog.set_level(logging.DEBUG)  # the root logger and caplog's handler
    try:
        yield caplog
    finally:
        logger.setLevel(previous_level)
        handler.setStream(previous_stream)


@dataclass
class Flow:
    """What a full flow wrote, the secrets that went by and things that must show up."""

    secrets: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    correlation_ids: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """The correlation ids of requests refused by a domain rule: each is logged ("request refused").
    (Request validation 400s and unknown routes write no line of their own.)"""

    def keep(self, name: str, secret: str | None) -> None:
        assert secret, name
        self.secrets[f"{name} #{len(self.secrets)}"] = secret

    def keep_ticket(self, name: str, ticket: dict[str, Any]) -> None:
        for token in TICKET_TOKENS:
            if ticket.get(token):
                self.keep(f"{name} {token}", ticket[token])


def set_two_factor_always() -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(store, replace(tenant, two_factor_policy=TwoFactorPolicy(always=True)))


def run_every_endpoint(world: World) -> Flow:
    flow = Flow()
    full = world.clients["full"]
    flow.keep("client secret", full.secret)
    for password in (
        PASSWORD,
        SECOND_PASSWORD,
        NEW_PASSWORD,
        WRONG_PASSWORD,
        UNKNOWN_USERS_PASSWORD,
        MALFORMED_BODY_PASSWORD,
        MISTYPED_BODY_PASSWORD,
        TOO_LONG_PASSWORD,
    ):
        flow.keep("password", password)

    def call(method: str, path: str, body: Any = None, **kwargs: Any) -> HttpResult:
        correlation_id = f"leak-{len(flow.correlation_ids):02d}-{uuid.uuid4().hex}"
        headers = {"x-vol-correlation": correlation_id, **kwargs.pop("headers", {})}
        result = world.api.call(method, path, body, headers=headers, **kwargs)
        assert result.headers["x-vol-correlation"] == correlation_id
        flow.correlation_ids.append(correlation_id)
        if result.status in {401, 403, 409}:
            flow.refused.append(correlation_id)
        return result

    # -- the application: a wrong secret, its token, renewal with the refresh token
    credentials = {
        "client_id": full.client_id,
        "client_secret": full.secret,
        "grant_type": "client_credentials",
    }
    flow.keep("wrong client secret", "wrong-" + full.secret)
    assert_error(
        call("POST", OAUTH, {**credentials, "client_secret": "wrong-" + full.secret}),
        401,
        "INVALID_CREDENTIALS",
    )
    issued = ok(call("POST", OAUTH, credentials))
    flow.keep("app access_token", issued["access_token"])
    flow.keep("app refresh_token", issued["refresh_token"])
    renewed = ok(
        call(
            "POST",
            OAUTH,
            {**credentials, "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        )
    )
    flow.keep("renewed app access_token", renewed["access_token"])
    flow.keep("renewed app refresh_token", renewed["refresh_token"])
    app = renewed["access_token"]
    reused = call(
        "POST",
        OAUTH,
        {**credentials, "grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
    )
    assert_error(reused, 401, "INVALID_CREDENTIALS")
    camel = {"clientId": full.client_id, "clientSecret": full.secret, "grantType": "client_credentials"}
    flow.keep("camelCase app access_token", ok(call("POST", OAUTH, camel))["access_token"])

    # -- the older app ticket: its refresh token travels in a DELETE's path
    wrong_ticket = {"applicationId": full.client_id, "sharedSecret": "wrong-" + full.secret}
    assert_error(call("POST", APP_TICKETS, wrong_ticket), 401, "INVALID_CREDENTIALS")
    app_ticket = ok(call("POST", APP_TICKETS, {"applicationId": full.client_id, "sharedSecret": full.secret}))
    flow.keep_ticket("app ticket", app_ticket)
    renewed_ticket = ok(
        call("PUT", f"{APP_TICKETS}/refresh-ticket", {"refreshToken": app_ticket["refreshToken"]})
    )
    flow.keep_ticket("renewed app ticket", renewed_ticket)
    spent = call("PUT", f"{APP_TICKETS}/refresh-ticket", {"refreshToken": app_ticket["refreshToken"]})
    assert_error(spent, 401, "INVALID_CREDENTIALS")
    assert call("DELETE", f"{APP_TICKETS}/{renewed_ticket['refreshToken']}").status == 200
    wrong_method = call("GET", f"{APP_TICKETS}/{renewed_ticket['refreshToken']}")
    assert_error(wrong_method, 405, "METHOD_NOT_ALLOWED")

    # -- public and tenant routes
    assert call("GET", "/.well-known/jwks.json").status == 200
    assert call("GET", "/api/platform/jwks").status == 200
    assert ok(call("GET", f"/api/platform/tenants/{TENANT_ID}", token=app))["id"] == TENANT_ID
    assert_error(call("GET", "/api/commerce/no/such/route", token=app), 404, "ITEM_NOT_FOUND")

    # -- accounts and logins, with the refusals whose bodies carry a password
    account_id = ok(call("POST", ACCOUNTS, {"emailAddress": EMAIL, "firstName": "Lee"}, token=app))["id"]
    create_login = f"{ACCOUNTS}/{account_id}/Create-Login"
    malformed = ('{"emailAddress": "' + EMAIL + '", "password": "' + MALFORMED_BODY_PASSWORD + '"').encode()
    assert_error(
        call("POST", create_login, raw_body=malformed, token=app), 400, "MISSING_OR_INVALID_PARAMETER"
    )
    mistyped = {"emailAddress": EMAIL, "password": [MISTYPED_BODY_PASSWORD]}
    assert_error(
        call("POST", create_login, mistyped, token=app), 400, "MISSING_OR_INVALID_PARAMETER", "password"
    )
    too_long = {"emailAddress": EMAIL, "password": TOO_LONG_PASSWORD}
    assert_error(
        call("POST", create_login, too_long, token=app), 400, "MISSING_OR_INVALID_PARAMETER", "password"
    )
    as_email = {"emailAddress": EMAIL, "password": EMAIL}
    assert_error(
        call("POST", create_login, as_email, token=app), 400, "MISSING_OR_INVALID_PARAMETER", "password"
    )
    created = ok(call("POST", create_login, {"emailAddress": EMAIL, "password": PASSWORD}, token=app))
    flow.keep_ticket("Create-Login", created)
    conflict = call("POST", create_login, {"emailAddress": EMAIL, "password": PASSWORD}, token=app)
    assert_error(conflict, 409, "VALIDATION_CONFLICT")
    both = ok(
        call(
            "POST",
            ADD_ACCOUNT_AND_LOGIN,
            {"account": {"emailAddress": SECOND_EMAIL, "firstName": "Sam"}, "password": SECOND_PASSWORD},
            token=app,
        )
    )
    flow.keep_ticket("Add-Account-And-Login", both)
    assert ok(call("GET", f"{ACCOUNTS}/{account_id}", token=app))["emailAddress"] == EMAIL
    assert ok(call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app))["isLocked"] is False

    # -- sign in: good, wrong password, unknown user, a malformed body
    signed_in = ok(call("POST", SIGN_IN, {"username": EMAIL, "password": PASSWORD}, token=app))
    flow.keep_ticket("sign-in", signed_in)
    wrong = call("POST", SIGN_IN, {"username": EMAIL, "password": WRONG_PASSWORD}, token=app)
    assert_error(wrong, 401, "INVALID_CREDENTIALS")
    unknown = call(
        "POST", SIGN_IN, {"username": "nobody@example.com", "password": UNKNOWN_USERS_PASSWORD}, token=app
    )
    assert_error(unknown, 401, "INVALID_CREDENTIALS")
    broken = ('{"username": "' + EMAIL + '", "password": "' + MALFORMED_BODY_PASSWORD + '",}').encode()
    assert_error(call("POST", SIGN_IN, raw_body=broken, token=app), 400, "MISSING_OR_INVALID_PARAMETER")

    # -- refresh (body and query string), the current account (opaque and JWT)
    by_body = ok(call("PUT", REFRESH, {"refreshToken": signed_in["refreshToken"]}, token=app))
    flow.keep_ticket("refresh by body", by_body)
    by_query = ok(
        call(
            "PUT",
            REFRESH,
            token=app,
            query={"refreshToken": by_body["refreshToken"], "accountId": str(account_id)},
        )
    )
    flow.keep_ticket("refresh by query", by_query)
    stale = call("PUT", REFRESH, token=app, query={"refreshToken": signed_in["refreshToken"] + "x"})
    assert_error(stale, 401, "INVALID_TOKEN")
    current = call("GET", CURRENT, token=app, headers={"x-vol-user-claims": by_query["accessToken"]})
    assert ok(current)["id"] == account_id
    assert ok(call("GET", CURRENT, token=by_query["jwtAccessToken"]))["id"] == account_id
    forged = by_query["jwtAccessToken"][:-4] + "AAAA"
    assert_error(call("GET", CURRENT, token=forged), 401, "UNAUTHORIZED")

    # -- log out, local and global
    assert call("DELETE", SIGN_IN, token=app, query={"refreshToken": by_query["refreshToken"]}).status == 204
    second = ok(call("POST", SIGN_IN, {"username": SECOND_EMAIL, "password": SECOND_PASSWORD}, token=app))
    flow.keep_ticket("second sign-in", second)
    global_out = call(
        "DELETE", SIGN_IN, {"refreshToken": second["refreshToken"]}, token=app, query={"scope": "global"}
    )
    assert global_out.status == 204, global_out.text

    # -- change password (a wrong old one, a weak new one, then right), lock and unlock
    change = f"{ACCOUNTS}/{account_id}/Change-Password"
    wrong_old = call("POST", change, {"oldPassword": WRONG_PASSWORD, "newPassword": NEW_PASSWORD}, token=app)
    assert_error(wrong_old, 401, "INVALID_CREDENTIALS")
    weak_new = call("POST", change, {"oldPassword": PASSWORD, "newPassword": EMAIL}, token=app)
    assert_error(weak_new, 400, "MISSING_OR_INVALID_PARAMETER")
    assert (
        call("POST", change, {"oldPassword": PASSWORD, "newPassword": NEW_PASSWORD}, token=app).status == 204
    )
    locked = f"{ACCOUNTS}/{account_id}/Set-Login-Locked"
    assert call("POST", locked, True, token=app).status == 204
    assert ok(call("GET", f"{ACCOUNTS}/{account_id}/loginstate", token=app))["isLocked"] is True
    assert call("POST", locked, False, token=app).status == 204

    # -- two-factor: always asked; a code requested, a wrong one tried, the right one
    set_two_factor_always()
    waiting = ok(call("POST", SIGN_IN, {"username": EMAIL, "password": NEW_PASSWORD}, token=app))
    assert waiting["requires2FA"] is True
    flow.keep_ticket("waiting sign-in", waiting)
    user_claims = {"x-vol-user-claims": waiting["accessToken"]}
    assert call("POST", REQUEST_CODE, token=app, headers=user_claims).status == 204
    (code,) = world.mailer.codes()
    wrong_code = f"{(int(code) + 500_000) % 1_000_000:06d}"
    flow.codes.update({"otp code": code, "wrong otp code": wrong_code})
    tried = call(
        "POST",
        VERIFY_CODE,
        {"userId": waiting["userId"], "otpCode": wrong_code},
        token=app,
        headers=user_claims,
    )
    assert_error(tried, 401, "INVALID_CREDENTIALS")
    verified = ok(
        call(
            "POST",
            VERIFY_CODE,
            {"userId": waiting["userId"], "otpCode": code},
            token=app,
            headers=user_claims,
        )
    )
    assert verified["requires2FA"] is False
    flow.keep_ticket("2FA", verified)

    # -- password recovery: a code sent, tried wrong, with a weak password, then used
    assert call("POST", f"{ACCOUNTS}/Reset-Password", {"emailAddress": EMAIL}, token=app).status == 200
    assert call("POST", f"{ACCOUNTS}/Reset-Password", {"userName": "nobody"}, token=app).status == 200
    (confirmation,) = world.mailer.reset_codes()
    flow.keep("confirmation code", confirmation)
    flow.keep("wrong confirmation code", "W" + confirmation[1:])
    for password in (RECOVERED_PASSWORD, ADMIN_PASSWORD, MIGRATED_PASSWORD):
        flow.keep("password", password)
    forgotten = f"{ACCOUNTS}/Update-Forgotten-Password"
    recovery = {"userName": EMAIL, "confirmationCode": confirmation, "newPassword": RECOVERED_PASSWORD}
    wrong_confirmation = call(
        "POST", forgotten, {**recovery, "confirmationCode": "W" + confirmation[1:]}, token=app
    )
    assert_error(wrong_confirmation, 401, "INVALID_CREDENTIALS")
    weak = call("POST", forgotten, {**recovery, "newPassword": EMAIL}, token=app)
    assert_error(weak, 400, "MISSING_OR_INVALID_PARAMETER", "newPassword")
    assert call("POST", forgotten, recovery, token=app).status == 200

    # -- passwordless sign-in: a code sent (and one for nobody), tried wrong, then used
    set_passwordless_on()
    assert call("POST", f"{SIGN_IN}/otp/request", {"email": EMAIL}, token=app).status == 204
    assert call("POST", f"{SIGN_IN}/otp/request", {"email": "nobody@example.com"}, token=app).status == 204
    (otp,) = world.mailer.otp_sign_in_codes()
    wrong_otp = f"{(int(otp) + 500_000) % 1_000_000:06d}"
    flow.codes.update({"passwordless code": otp, "wrong passwordless code": wrong_otp})
    by_code = {"email": EMAIL, "otpCode": wrong_otp, "fingerprint": "otp-device", "region": "US"}
    assert_error(call("POST", f"{SIGN_IN}/otp/auth", by_code, token=app), 401, "INVALID_CREDENTIALS")
    flow.keep_ticket(
        "passwordless", ok(call("POST", f"{SIGN_IN}/otp/auth", {**by_code, "otpCode": otp}, token=app))
    )

    # -- administration: a change required (the right password refused), many changed, state by name
    required = f"{ACCOUNTS}/{account_id}/Set-Password-Change-Required"
    assert call("POST", required, True, token=app).status == 204
    refused = call("POST", SIGN_IN, {"username": EMAIL, "password": RECOVERED_PASSWORD}, token=app)
    assert_error(refused, 403, "PASSWORD_CHANGE_REQUIRED")
    items = [
        {
            "accountId": account_id,
            "passwordInfo": {"oldPassword": RECOVERED_PASSWORD, "newPassword": ADMIN_PASSWORD},
        },
        {
            "accountId": both["customerAccount"]["id"],
            "passwordInfo": {"oldPassword": WRONG_PASSWORD, "newPassword": MIGRATED_PASSWORD},
        },
    ]
    changed = ok(call("POST", f"{ACCOUNTS}/Change-Passwords", {"items": items}, token=app))
    assert [i["succeeded"] for i in changed["items"]] == [True, False]
    by_name = call("POST", f"{ACCOUNTS}/loginstatebyemailaddress", token=app, query={"emailAddress": EMAIL})
    assert ok(by_name)["isPasswordChangeRequired"] is False
    assert ok(call("POST", f"{ACCOUNTS}/loginstatebyusername", token=app, query={"userName": EMAIL}))
    return flow


def signing_secret() -> str:
    """The signing keys' secret, as the functions read it from Secrets Manager."""
    value: str = boto3.client("secretsmanager").get_secret_value(
        SecretId=os.environ["SIGNING_KEYS_SECRET_ID"]
    )["SecretString"]
    return value


def _secret_strings(document: Any) -> list[str]:
    if isinstance(document, dict):
        return [s for value in document.values() for s in _secret_strings(value)]
    if isinstance(document, list):
        return [s for value in document for s in _secret_strings(value)]
    return [document] if isinstance(document, str) and len(document) >= 16 else []


def record_text(record: logging.LogRecord) -> str:
    """A record as any handler could write it: message, arguments, extra fields and traceback."""
    formatted = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
    return f"{formatted} {record.args!r} {record.__dict__!r}"


@dataclass
class Captured:
    output: str
    records: list[logging.LogRecord]

    @property
    def text(self) -> str:
        return self.output + "\n" + "\n".join(record_text(r) for r in self.records)


def leaks(captured: Captured, flow: Flow) -> list[str]:
    """What in ``flow`` shows up in the capture, and where (the first line of each)."""
    found = []
    lines = captured.text.splitlines()
    for name, secret in flow.secrets.items():
        probes = {
            secret,
            json.dumps(secret)[1:-1],
            secret[: len(secret) // 2] if len(secret) >= 32 else secret,
        }
        for line in lines:
            if any(probe in line for probe in probes):
                found.append(f"{name}: {line[:300]}")
                break
    for name, code in flow.codes.items():
        standalone = re.compile(rf"(?<![0-9A-Za-z]){code}(?![0-9A-Za-z])")
        for line in lines:
            if standalone.search(line):
                found.append(f"{name}: {line[:300]}")
                break
    return found


def set_passwordless_on() -> None:
    store = runtime.store()
    tenant = store.get_tenant(TENANT_ID)
    assert tenant is not None
    provision_tenant(
        store, replace(tenant, sign_in_policy=replace(tenant.sign_in_policy, passwordless_sign_in=True))
    )


def capture_every_endpoint(
    world: World, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> tuple[Flow, Captured]:
    secret = signing_secret()  # read before the capture starts: this read is the test's, not the service's
    capfd.readouterr()
    caplog.clear()
    flow = run_every_endpoint(world)
    out, err = capfd.readouterr()
    flow.keep("signing key secret", secret)
    for member in _secret_strings(json.loads(secret)):
        flow.keep("signing key seed or PEM", member)
    return flow, Captured(out + err, list(caplog.records))


def test_no_secret_of_a_full_flow_is_logged_at_debug(
    world: World, capfd: pytest.CaptureFixture[str], everything_at_debug: pytest.LogCaptureFixture
) -> None:
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG
    assert logger.log_level == logging.DEBUG

    flow, captured = capture_every_endpoint(world, capfd, everything_at_debug)

    # The capture saw the flow: the correlation ids of its refusals, and DEBUG records, are there.
    assert captured.records, "no log record was captured: the assertions below would prove nothing"
    assert flow.refused, "the flow was refused nowhere"
    assert [c for c in flow.refused if c not in captured.output] == []
    assert '"message":"request refused"' in captured.output.replace(": ", ":")
    assert {"customer-auth"} <= {r.name for r in captured.records}
    assert any(r.levelno == logging.DEBUG for r in captured.records), "nothing was logged at DEBUG"
    assert len(flow.secrets) > 30
    assert leaks(captured, flow) == []
    assert "$argon2id$" not in captured.text  # with the SDK above DEBUG, not even the stored hashes


def test_the_leak_detector_finds_a_secret_written_by_any_logger(
    world: World, capfd: pytest.CaptureFixture[str], everything_at_debug: pytest.LogCaptureFixture
) -> None:
    flow = Flow()
    flow.keep("token", "0123456789abcdef" * 3)
    flow.codes["otp code"] = "042042"
    everything_at_debug.clear()

    logging.getLogger("some.library").debug("Making request with params: %r", {"otpCode": "042042"})
    logger.debug("a line", extra={"carried": "0123456789abcdef" * 3})

    out, err = capfd.readouterr()
    found = leaks(Captured(out + err, list(everything_at_debug.records)), flow)
    assert [entry.split(":")[0] for entry in found] == ["token #0", "otp code"]
