"""``python -m tools.local_api``: serve every route of template.yaml on 127.0.0.1:3000.

Uses an embedded DynamoDB (moto, in memory) or, with ``--db dynamodb-local``, AWS's DynamoDB
Local keeping its data on disk (see backends.py), unless AWS_ENDPOINT_URL_DYNAMODB points at
another one; the signing keys live in the embedded Secrets Manager. Provisions the seed file's tenant and client.
Two-factor codes go to a local outbox file (CODE_OUTBOX_FILE, default local-outbox/2fa-codes.jsonl)
instead of EventBridge; password-reset codes to password-resets.jsonl beside it, passwordless
sign-in codes to otp-sign-in-codes.jsonl, security notices to their own files; and each event's
email, rendered from the mailer's templates, to an .eml file in local-outbox/mail/, which the
mailbox page (/mailbox) shows. While it serves, a state file (state.py) tells the operator tool
where it is.
"""

import argparse
import errno
import json
import os
import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import boto3

from customer_auth.mail.local import mail_folder
from customer_auth.outbox import LOCAL_FILES

from .. import dynamodb_local, local_env
from ..operator import seed, store_for
from ..sam_template import ROOT
from . import state
from .backends import KINDS, Backend, dynamodb_backend
from .embedded_aws import EmbeddedAws

SEED = Path(__file__).with_name("seed.json")
OUTBOX = Path("local-outbox") / "2fa-codes.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument(
        "--embedded-port",
        type=int,
        default=int(os.environ.get("EMBEDDED_AWS_PORT", "0")),
        help="port of the embedded DynamoDB/Secrets Manager (0: any free port)",
    )
    parser.add_argument("--seed", type=Path, default=Path(os.environ.get("SEED_FILE", SEED)))
    parser.add_argument(
        "--db",
        choices=KINDS,
        default=os.environ.get("LOCAL_DB", "moto"),
        help="moto: embedded, in memory; dynamodb-local: AWS's emulator, data kept on disk",
    )
    args = parser.parse_args(argv)

    # A busy port is the commonest way for a second `make run` to fail: say so before starting
    # anything, in one line.
    busy = _busy(args.host, args.port, "PORT")
    if args.embedded_port and not busy:
        busy = _busy("127.0.0.1", args.embedded_port, "EMBEDDED_AWS_PORT")
    if busy:
        print(busy, file=sys.stderr)
        return 1
    embedded = EmbeddedAws(port=args.embedded_port).start()
    external_dynamodb = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    if not external_dynamodb or not os.environ.get("AWS_ACCESS_KEY_ID"):
        # Local only: moto and DynamoDB Local accept any credentials, real AWS is never called.
        os.environ.setdefault("AWS_ACCESS_KEY_ID", state.PLACEHOLDER_KEY)
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", state.PLACEHOLDER_KEY)
    try:
        backend = dynamodb_backend(args.db, embedded.endpoint)
    except dynamodb_local.Unavailable as reason:
        embedded.stop()
        print(f"make run DB={args.db}: {reason}", file=sys.stderr)
        return 1
    except Exception:
        embedded.stop()
        raise
    # `kill` (as tests and process managers stop it) unwinds like Ctrl-C, so DynamoDB Local is
    # stopped with the server and flushes its data.
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        _serve(args, embedded.endpoint, backend)
    except KeyboardInterrupt:
        pass
    finally:
        backend.stop()
        embedded.stop()
    return 0


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _busy(host: str, port: int, variable: str) -> str | None:
    """One line naming the variable that moves the port, when something already listens on it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
            return (
                f"make run: port {port} on {host} is already in use (another make run?); "
                f"choose another with {variable}=, e.g. make run {variable}={port + 1}"
            )
    return None


def _serve(args: argparse.Namespace, embedded_endpoint: str, backend: Backend) -> None:
    """Provision the table, keys and seed in the chosen DynamoDB, then serve until interrupted."""
    table, document, clients = provision(args.host, args.port, args.seed, embedded_endpoint, backend)

    from .mailbox import Mailbox
    from .router import Router
    from .server import make_server

    router = Router()
    mail = mail_folder(os.environ["CODE_OUTBOX_FILE"], os.environ.get("LOCAL_MAIL_DIR"))
    try:
        server = make_server(router, args.host, args.port, Mailbox(mail))
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise SystemExit(_busy(args.host, args.port, "PORT")) from None
    host, port = server.server_address[:2]
    base = f"http://{host!s}:{port}"
    state_file = state.path()
    state.write(
        state.LocalServer(
            pid=os.getpid(),
            api=base,
            dynamodb=os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
            table=table,
            region=os.environ["AWS_DEFAULT_REGION"],
            access_key_id=state.PLACEHOLDER_KEY,
            secret_access_key=state.PLACEHOLDER_KEY,
        ),
        state_file,
    )
    try:
        _banner(
            base,
            backend.description,
            table,
            document,
            clients,
            [f"{r.method:6} {r.path}  ({r.function})" for r in router.routes],
            os.environ["CODE_OUTBOX_FILE"],
            state_file,
            mail,
        )
        server.serve_forever()
    finally:
        server.server_close()
        state.remove(state_file, os.getpid())


def provision(
    host: str, port: int, seed_file: Path, embedded_endpoint: str, backend: Backend
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """The environment ``make run`` gives its functions, and its table, signing keys and seed
    tenant and clients in ``backend``: the table's name, the seed document and its clients."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = backend.endpoint
    os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = embedded_endpoint
    os.environ.setdefault("TABLE_NAME", "customer-auth-local")
    os.environ.setdefault("SIGNING_KEYS_SECRET_ID", "customer-auth-local-signing-keys")
    os.environ.setdefault("TOKEN_ISSUER", f"http://{host}:{port}")
    os.environ.setdefault("TOKEN_AUDIENCE", "customer-auth")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "customer-auth")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "CustomerAuth")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("CODE_OUTBOX_FILE", str(OUTBOX.resolve()))

    dynamodb = boto3.client("dynamodb")
    table = os.environ["TABLE_NAME"]
    if table not in dynamodb.list_tables()["TableNames"]:
        local_env.create_table(dynamodb, table)
    local_env.create_signing_secret(
        boto3.client("secretsmanager"), os.environ["SIGNING_KEYS_SECRET_ID"], backend.signing_secret
    )
    document = json.loads(seed_file.read_text())
    clients = seed(store_for(table), document)
    return table, document, clients


def operator_command(state_file: Path) -> str:
    """The operator tool's command line for this server, to paste into any shell: the checkout's
    own interpreter (no uv, no AWS configuration needed), and the state file when it is not the
    one the tool looks for by default."""
    interpreter = ROOT / ".venv" / "bin" / "python"
    python = shlex.quote(str(interpreter if interpreter.exists() else Path(sys.executable)))
    located = "" if state_file == state.DEFAULT else f" --local-server {shlex.quote(str(state_file))}"
    return f"{python} -m tools.operator{located}"


def _banner(
    base: str,
    storage: str,
    table: str,
    document: dict[str, Any],
    clients: list[dict[str, Any]],
    routes: list[str],
    outbox: str,
    state_file: Path,
    mail: Path,
) -> None:
    tenant = document["tenant"]
    site = tenant["sites"][0]["id"] if tenant.get("sites") else ""
    client = clients[0]
    kept = "" if client.get("created", True) else " (kept from the last run)"
    operator = operator_command(state_file)
    print(
        f"""
customer-auth local API on {base}
DynamoDB: {storage}; table {table}
routes (from template.yaml):
  {chr(10).join("  " + r for r in routes).strip()}
demo tenant {tenant["id"]}, site {site}; app client {client["clientId"]} / secret {client["secret"]}{kept}
operator tool on this server (tenants, sites, app clients; tenant set changes only what it is given), from any shell:
  {operator} tenant show --id {tenant["id"]}
  {operator} tenant set --id {tenant["id"]} --passwordless-sign-in
  (in this folder: make operator ARGS="tenant show --id {tenant["id"]}"; --help for more; it finds this server through {state_file})
2FA codes (the mailer's outbox, one JSON line per code): {outbox}
password-reset codes (Reset-Password, one JSON line per code): {Path(outbox).with_name(LOCAL_FILES["PasswordResetRequested"])}
email changes (Update account, one JSON line each): {Path(outbox).with_name(LOCAL_FILES["AccountEmailChanged"])}
passwordless sign-in codes (otp/request, one JSON line per code; off until the operator turns it on): {Path(outbox).with_name(LOCAL_FILES["OtpSignInRequested"])}
security notices (password changed, new-device sign-in, account deleted): {Path(outbox).parent}/{{{",".join(LOCAL_FILES[t].removesuffix(".jsonl") for t in ("PasswordChanged", "NewDeviceSignIn", "AccountDeleted"))}}}.jsonl
mailbox (every email above as the shopper gets it, rendered by the mailer's templates): {base}/mailbox  (.eml files in {mail})
API docs: {base}/api/docs (Swagger UI; the OpenAPI document is {base}/api/docs/openapi.json)

# ready to paste (needs jq):
API={base}; H=(-H "x-vol-tenant: {tenant["id"]}" -H "x-vol-site: {site}" -H "content-type: application/json")
APP=$(curl -s "${{H[@]}}" $API/api/platform/applications/authtickets/oauth \\
  -d '{{"client_id":"{client["clientId"]}","client_secret":"{client["secret"]}","grant_type":"client_credentials"}}' | jq -r .access_token)
ACCOUNT=$(curl -s "${{H[@]}}" -H "authorization: Bearer $APP" $API/api/commerce/customer/accounts \\
  -d '{{"emailAddress":"ada@example.com","firstName":"Ada","lastName":"Lovelace"}}' | jq -r .id)
A=(-H "authorization: Bearer $APP"); R="$API/api/commerce/customer/authtickets"
FIRST=$(curl -s "${{H[@]}}" "${{A[@]}}" $API/api/commerce/customer/accounts/$ACCOUNT/Create-Login \\
  -d '{{"emailAddress":"ada@example.com","password":"a long passphrase"}}'); echo "$FIRST" | jq .customerAccount
curl -s "${{H[@]}}" "${{A[@]}}" "$API/api/commerce/customer/accounts/$ACCOUNT?responseFields=id,userName,isAnonymous" | jq .
# sign in, refresh twice, then reuse the first refresh token after the 10 s grace window: 401 twice
SIGNIN='{{"username":"ada@example.com","password":"a long passphrase"}}'
T1=$(curl -s "${{H[@]}}" "${{A[@]}}" $R -d "$SIGNIN")
T2=$(curl -s "${{H[@]}}" "${{A[@]}}" -X PUT $R/refresh -d "$(echo "$T1" | jq '{{refreshToken}}')")
T3=$(curl -s "${{H[@]}}" "${{A[@]}}" -X PUT $R/refresh -d "$(echo "$T2" | jq '{{refreshToken}}')")
sleep 11; curl -s "${{H[@]}}" "${{A[@]}}" -X PUT $R/refresh -d "$(echo "$T1" | jq '{{refreshToken}}')" | jq .errorCode
curl -s "${{H[@]}}" "${{A[@]}}" -X PUT $R/refresh -d "$(echo "$T3" | jq '{{refreshToken}}')" | jq .errorCode
# sign in again and log out everywhere (204): both sessions' access tokens are dead (401)
T4=$(curl -s "${{H[@]}}" "${{A[@]}}" $R -d "$SIGNIN")
curl -s "${{H[@]}}" "${{A[@]}}" -X DELETE "$R?scope=global" -d "$(echo "$T4" | jq '{{refreshToken}}')" -w "%{{http_code}}\\n"
for T in "$FIRST" "$T4"; do curl -s "${{H[@]}}" "${{A[@]}}" -H "x-vol-user-claims: $(echo "$T" | jq -r .accessToken)" \\
  $API/api/commerce/customer/accounts/current | jq .errorCode; done
curl -s $API/.well-known/jwks.json | jq .
""",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
