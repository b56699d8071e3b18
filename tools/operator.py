"""Operator tool: provision tenants (sites, token, sign-in and 2FA policy) and app clients in the table.

Works against whatever DynamoDB boto3 is pointed at: the standard AWS environment variables
(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB for the embedded one under ``make run``).

    python -m tools.operator tenant put --id 1000 --name Acme --site 2000:Storefront
    python -m tools.operator tenant put --id 1000 --name Acme --max-failed-attempts 10 --lockout-minutes 5
    python -m tools.operator tenant put --id 1000 --name Acme --two-factor fingerprint,region
    python -m tools.operator tenant put --id 1000 --name Acme --password-reset-minutes 30
    python -m tools.operator tenant put --id 1000 --name Acme --passwordless-sign-in
    python -m tools.operator tenant put --id 1000 --name Acme --mail-sender "Acme <no-reply@acme.example>" \
        --mail-shop-name "Acme Store" --mail-link-base https://acme.example/account --mail-locale de
    python -m tools.operator client create --tenant-id 1000 --name storefront --all-behaviors
    python -m tools.operator seed tools/local_api/seed.json
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3

from customer_auth.domain.behaviors import Behavior
from customer_auth.domain.errors import DomainError
from customer_auth.domain.provisioning import create_client, provision_tenant
from customer_auth.domain.tenants import Site, Tenant
from customer_auth.store import items
from customer_auth.store.dynamodb import DynamoStore

DEFAULT_TABLE = "customer-auth-local"


def store_for(table: str) -> DynamoStore:
    return DynamoStore(boto3.client("dynamodb"), table)


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
    """Provision the seed file's tenant and clients; returns the clients with their secrets."""
    tenant = provision_tenant(store, tenant_from_spec(document["tenant"]))
    created = []
    for spec in document.get("clients", []):
        client, secret = create_client(
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
            }
        )
    return created


def _given(**options: Any) -> dict[str, Any]:
    """The options set on the command line (argparse leaves the others ``None``)."""
    return {name: value for name, value in options.items() if value is not None}


def _site(text: str) -> dict[str, Any]:
    parts = text.split(":", 2)
    if len(parts) < 2:
        raise argparse.ArgumentTypeError("a site is ID:NAME or ID:NAME:DOMAIN")
    return {"id": int(parts[0]), "name": parts[1], "domain": parts[2] if len(parts) > 2 else None}


TWO_FACTOR_CHOICES = {"always": "always", "fingerprint": "onNewFingerprint", "region": "onNewRegion"}


def _two_factor(text: str) -> dict[str, bool]:
    """``off``, ``always``, or ``fingerprint``, ``region`` or both (comma-separated)."""
    chosen = {part.strip() for part in text.split(",") if part.strip()}
    if chosen == {"off"}:
        return {name: False for name in TWO_FACTOR_CHOICES.values()}
    if not chosen or not chosen <= TWO_FACTOR_CHOICES.keys() or ("always" in chosen and len(chosen) > 1):
        raise argparse.ArgumentTypeError("use off, always, fingerprint, region or fingerprint,region")
    return {name: choice in chosen for choice, name in TWO_FACTOR_CHOICES.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.operator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--table", default=os.environ.get("TABLE_NAME", DEFAULT_TABLE))
    commands = parser.add_subparsers(dest="command", required=True)

    tenant = commands.add_parser("tenant", help="tenants").add_subparsers(dest="action", required=True)
    put = tenant.add_parser("put", help="create or replace a tenant with its sites and token policy")
    put.add_argument("--id", type=int, required=True)
    put.add_argument("--name", required=True)
    put.add_argument("--domain")
    put.add_argument("--site", type=_site, action="append", default=[], help="ID:NAME[:DOMAIN]")
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

    seed_command = commands.add_parser("seed", help="provision a seed file (tenant and clients)")
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

    args = parser.parse_args(argv)
    store = store_for(args.table)
    try:
        if args.command == "tenant" and args.action == "put":
            policy = _given(
                accessDefaultMinutes=args.access_default_minutes,
                accessMaxMinutes=args.access_max_minutes,
                refreshDefaultMinutes=args.refresh_default_minutes,
                refreshMaxMinutes=args.refresh_max_minutes,
            )
            sign_in = _given(
                maxFailedAttempts=args.max_failed_attempts,
                lockoutMinutes=args.lockout_minutes,
                maxLockoutMinutes=args.max_lockout_minutes,
                refreshGraceSeconds=args.refresh_grace_seconds,
                requireLetterAndDigit=args.require_letter_and_digit,
                passwordResetMinutes=args.password_reset_minutes,
                passwordlessSignIn=args.passwordless_sign_in,
                newDeviceNotice=args.new_device_notice,
            )
            mail = _given(
                sender=args.mail_sender,
                shopName=args.mail_shop_name,
                linkBase=args.mail_link_base,
                locale=args.mail_locale,
            )
            saved = provision_tenant(
                store,
                tenant_from_spec(
                    {
                        "id": args.id,
                        "name": args.name,
                        "domain": args.domain,
                        "sites": args.site,
                        "tokenPolicy": policy,
                        "signInPolicy": sign_in,
                        "twoFactorPolicy": args.two_factor or {},
                        "mail": mail,
                    }
                ),
            )
            print(
                json.dumps(
                    {
                        "tenantId": saved.id,
                        "sites": [s.id for s in saved.sites],
                        "tokenPolicy": items.policy_json(saved.token_policy),
                        # The switch is stored only when on (sparse); the operator sees it either way.
                        "signInPolicy": {
                            **items.policy_json(saved.sign_in_policy),
                            "passwordlessSignIn": saved.sign_in_policy.passwordless_sign_in,
                        },
                        "twoFactorPolicy": items.policy_json(saved.two_factor_policy),
                        "mail": items.policy_json(saved.mail) if saved.mail else {},
                    }
                )
            )
        elif args.command == "tenant" and args.action == "show":
            found = store.get_tenant(args.id)
            if found is None:
                print(f"tenant {args.id} not found", file=sys.stderr)
                return 1
            print(found)
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
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
