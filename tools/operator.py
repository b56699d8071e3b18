"""Operator tool: tenants (their sites, token, sign-in and 2FA policies) and app clients, written
straight to the service's table.

Where it works: while `make run` serves, on that server's table (it finds the server through the
state file the banner names; no AWS configuration needed). Otherwise on AWS, with the usual
AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), AWS_REGION and --table <the stack's
TableName output>. AWS_ENDPOINT_URL_DYNAMODB points it at any other DynamoDB.

`tenant set` changes only what it is given: every other field, and the other sites, stay.

    make operator ARGS="tenant show --id 1000"
    make operator ARGS="tenant set --id 1000 --passwordless-sign-in"
    make operator ARGS="tenant set --id 1000 --two-factor fingerprint,region --max-failed-attempts 10"
    make operator ARGS="tenant set --id 1000 --site 2001:Outlet --remove-site 2000"
    make operator ARGS="tenant set --id 1001 --name Acme --site 3000:Storefront"      (a new tenant)
    make operator ARGS="tenant set --id 1001 --name Acme --site 3000:Storefront --replace"
    make operator ARGS="tenant set --id 1000 --mail-sender 'Acme <no-reply@acme.example>' --mail-locale de"
    make operator ARGS="client create --tenant-id 1000 --name storefront --all-behaviors"
    make operator ARGS="seed tools/local_api/seed.json"
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from customer_auth.domain.apps.provisioning import TenantChange, change_tenant, create_client, new_client
from customer_auth.domain.kernel.behaviors import Behavior
from customer_auth.domain.kernel.errors import DomainError, Unavailable
from customer_auth.domain.tenants.tenant import Site, Tenant
from customer_auth.store import items
from customer_auth.store.dynamodb import DynamoStore

from .local_api import state

DEFAULT_TABLE = "customer-auth-local"


class Refusal(Exception):
    """The tool cannot run as asked; the message is the one line that says why."""


def store_for(table: str) -> DynamoStore:
    """The table through boto3's default configuration (``make run``'s own seeding)."""
    return DynamoStore(boto3.client("dynamodb"), table)


def connect(table: str | None, server_state: Path) -> tuple[DynamoStore, str]:
    """The store the operator means, and a line saying which it is.

    ``make run``'s server when one is running (unless --table names another table or
    AWS_ENDPOINT_URL_DYNAMODB another DynamoDB); otherwise AWS as boto3 is configured, with
    AWS_REGION honoured as well as AWS_DEFAULT_REGION."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    server = state.running(server_state)
    if server is not None and not endpoint and table in (None, server.table):
        client = boto3.client(
            "dynamodb",
            endpoint_url=server.dynamodb,
            region_name=server.region,
            aws_access_key_id=server.access_key_id,
            aws_secret_access_key=server.secret_access_key,
        )
        return DynamoStore(client, server.table), f"make run's server at {server.api}, table {server.table}"
    table = table or os.environ.get("TABLE_NAME")
    if endpoint:
        return _other_dynamodb(endpoint, table or DEFAULT_TABLE)
    if not table:
        raise Refusal(
            f"no make run server is running (none in {server_state}); on AWS, name the table: "
            "--table <the stack's TableName output>"
        )
    session = boto3.Session(region_name=os.environ.get("AWS_REGION") or None)
    if not session.region_name:
        raise Refusal("no AWS region: set AWS_REGION (or a region in your AWS profile)")
    if session.get_credentials() is None:
        raise Refusal(
            "no AWS credentials: set AWS_PROFILE (after aws configure or aws sso login), "
            "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    profile = f", profile {session.profile_name}" if os.environ.get("AWS_PROFILE") else ""
    where = f"AWS {session.region_name}{profile}, table {table}"
    return DynamoStore(session.client("dynamodb"), table), where


def _other_dynamodb(endpoint: str, table: str) -> tuple[DynamoStore, str]:
    """AWS_ENDPOINT_URL_DYNAMODB: a DynamoDB of the operator's choosing. On this machine it is an
    emulator, which takes any region and keys: placeholders stand in for those not set."""
    session = boto3.Session(region_name=os.environ.get("AWS_REGION") or None)
    local = urlsplit(endpoint).hostname in {"127.0.0.1", "localhost", "::1"}
    region = session.region_name or ("us-east-1" if local else None)
    if region is None:
        raise Refusal("no AWS region: set AWS_REGION")
    placeholder = None
    if session.get_credentials() is None:
        if not local:
            raise Refusal(f"no AWS credentials for {endpoint}: set AWS_PROFILE or AWS_ACCESS_KEY_ID")
        placeholder = state.PLACEHOLDER_KEY
    client = session.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=placeholder,
        aws_secret_access_key=placeholder,
    )
    return DynamoStore(client, table), f"DynamoDB at {endpoint}, table {table}"


def tenant_from_spec(spec: dict[str, Any]) -> Tenant:
    """A tenant from the seed file's JSON shape (docs/configuration.md documents it); its policies use the
    stored item's names, and names left out keep their defaults."""
    return Tenant(
        id=int(spec["id"]),
        name=str(spec["name"]),
        domain=spec.get("domain"),
        sites=tuple(Site(int(s["id"]), str(s["name"]), s.get("domain")) for s in spec.get("sites", [])),
        token_policy=items.token_policy_from(spec.get("tokenPolicy", {})),
        sign_in_policy=items.sign_in_policy_from(_sign_in_spec(spec)),
        two_factor_policy=items.two_factor_policy_from(spec.get("twoFactorPolicy", {})),
        mail=items.mail_settings_from(spec["mail"]) if spec.get("mail") else None,
    )


def _sign_in_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The tenant's ``signInPolicy``, with the tenant's own ``passwordlessSignIn`` switch (the seed
    file's place for it; it is stored in the sign-in policy)."""
    policy = dict(spec.get("signInPolicy") or {})
    if spec.get("passwordlessSignIn") is not None:
        policy["passwordlessSignIn"] = bool(spec["passwordlessSignIn"])
    return policy


def seed(store: DynamoStore, document: dict[str, Any]) -> list[dict[str, Any]]:
    """Create the seed file's tenant and clients where they are missing; what exists (an operator
    may have changed it) is left as it is. Returns the clients with their secrets."""
    tenant = tenant_from_spec(document["tenant"])
    store.add_tenant(tenant)
    created = []
    for spec in document.get("clients", []):
        client, secret = new_client(
            store,
            tenant_id=tenant.id,
            name=spec["name"],
            behaviors=list(spec["behaviors"]),
            site_id=spec.get("siteId"),
            client_id=spec.get("clientId"),
            secret=spec.get("secret"),
        )
        created.append(
            {
                "clientId": client.client_id,
                "secret": secret,
                "tenantId": tenant.id,
                "siteId": client.site_id,
                "behaviors": sorted(client.behaviors),
                "created": store.add_client(client),
            }
        )
    return created


def tenant_json(tenant: Tenant) -> dict[str, Any]:
    """A tenant as the tool prints it: the seed file's names, every switch shown."""
    return {
        "tenantId": tenant.id,
        "name": tenant.name,
        "domain": tenant.domain,
        "sites": [
            {"id": site.id, "name": site.name, **({"domain": site.domain} if site.domain else {})}
            for site in tenant.sites
        ],
        "tokenPolicy": items.policy_json(tenant.token_policy),
        # The switch is stored only when on (sparse); the operator sees it either way.
        "signInPolicy": {
            **items.policy_json(tenant.sign_in_policy),
            "passwordlessSignIn": tenant.sign_in_policy.passwordless_sign_in,
            "newDeviceNotice": tenant.sign_in_policy.new_device_notice,
        },
        "twoFactorPolicy": items.policy_json(tenant.two_factor_policy),
        "mail": items.policy_json(tenant.mail) if tenant.mail else {},
    }


def _given(**options: Any) -> dict[str, Any]:
    """The options set on the command line (argparse leaves the others ``None``)."""
    return {name: value for name, value in options.items() if value is not None}


def _site(text: str) -> Site:
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1]:
        raise argparse.ArgumentTypeError("a site is ID:NAME or ID:NAME:DOMAIN")
    return Site(int(parts[0]), parts[1], parts[2] if len(parts) > 2 and parts[2] else None)


TWO_FACTOR_CHOICES = {"always": "always", "fingerprint": "on_new_fingerprint", "region": "on_new_region"}


def _two_factor(text: str) -> dict[str, bool]:
    """``off``, ``always``, or ``fingerprint``, ``region`` or both (comma-separated)."""
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    if chosen == {"off"}:
        return {name: False for name in TWO_FACTOR_CHOICES.values()}
    if not chosen or not chosen <= TWO_FACTOR_CHOICES.keys() or ("always" in chosen and len(chosen) > 1):
        raise argparse.ArgumentTypeError("use off, always, fingerprint, region or fingerprint,region")
    return {name: choice in chosen for choice, name in TWO_FACTOR_CHOICES.items()}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make operator ARGS=...",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--table", help="the table (on AWS: the stack's TableName output)")
    parser.add_argument(
        "--local-server",
        type=Path,
        default=state.path(),
        help="make run's state file (default: %(default)s)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    tenant = commands.add_parser("tenant", help="tenants").add_subparsers(dest="action", required=True)
    put = tenant.add_parser(
        "set",
        aliases=["put"],
        help="change a tenant (only what is given) or create one (--name and a --site)",
    )
    put.add_argument("--id", type=int, required=True)
    put.add_argument("--name")
    put.add_argument("--domain", help='the tenant\'s domain ("" clears it)')
    put.add_argument(
        "--site",
        type=_site,
        action="append",
        default=[],
        help="ID:NAME[:DOMAIN]: add a site, or rename the one with that id (repeat for more)",
    )
    put.add_argument("--remove-site", type=int, action="append", default=[], metavar="ID")
    put.add_argument(
        "--replace",
        action="store_true",
        help="replace the whole tenant: what is not given gets its default, sites are only those given",
    )
    put.add_argument("--access-default-minutes", type=int)
    put.add_argument("--access-max-minutes", type=int)
    put.add_argument("--refresh-default-minutes", type=int)
    put.add_argument("--refresh-max-minutes", type=int)
    put.add_argument("--max-failed-attempts", type=int, help="consecutive failures that lock (default 5)")
    put.add_argument("--lockout-minutes", type=int, help="first lock's cooldown; doubles on repeat (15)")
    put.add_argument("--max-lockout-minutes", type=int, help="where doubling stops (15)")
    put.add_argument("--refresh-grace-seconds", type=int, help="refresh reuse grace window, 0 = strict (10)")
    put.add_argument(
        "--require-letter-and-digit",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Kibo's legacy password rule (off)",
    )
    put.add_argument(
        "--password-reset-minutes", type=int, help="how long a password-reset code is good for (60)"
    )
    put.add_argument(
        "--passwordless-sign-in",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="shoppers may sign in with a code sent to their email (off)",
    )
    put.add_argument(
        "--new-device-notice",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="email the shopper of a sign-in from a device or region the login does not trust yet (off)",
    )
    put.add_argument("--mail-sender", help="the From address of the tenant's email (an SES identity)")
    put.add_argument("--mail-shop-name", help="the shop's name in the email (the tenant's name)")
    put.add_argument("--mail-link-base", help="the shop's page the email links to (no link)")
    put.add_argument("--mail-locale", help="the email's language, English when no template has it (en)")
    put.add_argument(
        "--two-factor",
        type=_two_factor,
        help="when sign-in asks for a code: off, always, fingerprint, region or fingerprint,region (off)",
    )
    show = tenant.add_parser("show", help="print a tenant")
    show.add_argument("--id", type=int, required=True)

    client = commands.add_parser("client", help="app clients").add_subparsers(dest="action", required=True)
    create = client.add_parser("create", help="create an app client; prints its secret once")
    create.add_argument("--tenant-id", type=int, required=True)
    create.add_argument("--site-id", type=int)
    create.add_argument("--name", required=True)
    create.add_argument("--client-id")
    create.add_argument("--behavior", action="append", default=[], choices=[b.value for b in Behavior])
    create.add_argument("--all-behaviors", action="store_true")

    seed_command = commands.add_parser(
        "seed", help="create a seed file's tenant and clients where they are missing (nothing is overwritten)"
    )
    seed_command.add_argument("file", type=Path)

    identifiers = commands.add_parser("identifiers", help="login identifiers").add_subparsers(
        dest="action", required=True
    )
    renormalize = identifiers.add_parser(
        "renormalize",
        help="re-key the email/username reservations of logins stored before NFKC normalization "
        "(scans the table; safe to repeat); exit status 3 when look-alike pairs need a decision",
    )
    renormalize.add_argument("--tenant-id", type=int)
    return parser


def _change(args: argparse.Namespace) -> TenantChange:
    return TenantChange(
        name=args.name,
        domain=args.domain,
        sites=tuple(args.site),
        removed_sites=frozenset(args.remove_site),
        token_policy=_given(
            access_default_minutes=args.access_default_minutes,
            access_max_minutes=args.access_max_minutes,
            refresh_default_minutes=args.refresh_default_minutes,
            refresh_max_minutes=args.refresh_max_minutes,
        ),
        sign_in_policy=_given(
            max_failed_attempts=args.max_failed_attempts,
            lockout_minutes=args.lockout_minutes,
            max_lockout_minutes=args.max_lockout_minutes,
            refresh_grace_seconds=args.refresh_grace_seconds,
            require_letter_and_digit=args.require_letter_and_digit,
            password_reset_minutes=args.password_reset_minutes,
            passwordless_sign_in=args.passwordless_sign_in,
            new_device_notice=args.new_device_notice,
        ),
        two_factor_policy=args.two_factor or {},
        mail=_given(
            sender=args.mail_sender,
            shop_name=args.mail_shop_name,
            link_base=args.mail_link_base,
            locale=args.mail_locale,
        ),
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        store, where = connect(args.table, args.local_server)
        print(f"operator: {where}", file=sys.stderr)
        return _run(store, args)
    except Refusal as refusal:
        print(f"operator: {refusal}", file=sys.stderr)
        return 2
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    except (ClientError, BotoCoreError, Unavailable) as error:
        cause = error.__cause__ if isinstance(error, Unavailable) and error.__cause__ else error
        print(f"operator: {cause}", file=sys.stderr)
        return 1


def _run(store: DynamoStore, args: argparse.Namespace) -> int:
    if args.command == "tenant" and args.action in ("set", "put"):
        saved = change_tenant(store, args.id, _change(args), whole=args.replace)
        print(json.dumps(tenant_json(saved), indent=2))
    elif args.command == "tenant" and args.action == "show":
        found = store.get_tenant(args.id)
        if found is None:
            print(f"tenant {args.id} not found", file=sys.stderr)
            return 1
        print(json.dumps(tenant_json(found), indent=2))
    elif args.command == "client":
        behaviors = [b.value for b in Behavior] if args.all_behaviors else args.behavior
        made, secret = create_client(
            store,
            tenant_id=args.tenant_id,
            name=args.name,
            behaviors=behaviors,
            site_id=args.site_id,
            client_id=args.client_id,
        )
        print(
            json.dumps(
                {
                    "clientId": made.client_id,
                    "clientSecret": secret,
                    "tenantId": made.tenant_id,
                    "siteId": made.site_id,
                    "behaviors": sorted(made.behaviors),
                },
                indent=2,
            )
        )
        print("The secret is shown only now; the service stores only its digest.", file=sys.stderr)
    elif args.command == "identifiers":
        report = store.renormalize_identifiers(args.tenant_id)
        print(json.dumps(report, indent=2))
        if report["conflicts"]:
            print(
                "Each conflict is a login whose identifier now equals another login's, which "
                "keeps it: this login signs in only by its other identifier until it is given a "
                "new one.",
                file=sys.stderr,
            )
            return 3
    else:
        print(json.dumps(seed(store, json.loads(args.file.read_text())), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
