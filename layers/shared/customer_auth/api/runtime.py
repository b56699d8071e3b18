"""What a container builds once and reuses across invocations: clients, keys and services.

Everything is lazy, so a function pays at cold start only for what its route uses (the JWKS
function never imports argon2; only Create-Login builds a password hasher).
"""

from functools import cache, lru_cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from ..domain.apps.auth import AppAuthService, AppTicketDeletion, AppTokenLifetimes
from ..domain.kernel.clock import Clock, system_clock
from ..store.dynamodb import DynamoStore
from ..tokens.jwt import JwtCodec
from ..tokens.keys import KeySet, key_set_from_secret
from .settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from ..domain.accounts.administration import AccountAdminService
    from ..domain.accounts.service import AccountService
    from ..domain.credentials.bulk import BulkPasswordService
    from ..domain.credentials.management import CredentialService
    from ..domain.credentials.recovery import RecoveryService
    from ..domain.sessions.tickets import TicketService
    from ..domain.signin.password import SignInService
    from ..domain.signin.passwordless import PasswordlessService
    from ..domain.signin.registration import LoginService
    from ..domain.signin.twofactor import TwoFactorService
    from ..domain.tenants.service import TenantService
    from ..outbox import EventBridgeOutbox, FileOutbox
    from ..passwords import Argon2idHasher

_BOTO_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=3,
)

clock: Clock = system_clock
"""The service's clock; tests replace it to control time."""

API_ID = "{apiId}"
"""In TOKEN_ISSUER: the id of the HTTP API that invokes the function (template.yaml's default
issuer is the API's own URL, which the template cannot name in a function's environment)."""

api_id: str | None = None
"""The id of the HTTP API whose events this container serves, from the first one's requestContext."""


def now_clock() -> Clock:
    # Looked up on each call so a test's replacement of ``clock`` takes effect everywhere.
    return lambda: clock()


@cache
def store() -> DynamoStore:
    return DynamoStore(boto3.client("dynamodb", config=_BOTO_CONFIG), settings().table_name)


def key_set() -> KeySet:
    """The signing keys, re-read from Secrets Manager at most every few minutes (rotation)."""
    config = settings()
    secret = secrets_provider().get(config.signing_keys_secret_id, max_age=config.keys_cache_seconds)
    return _parsed_key_set(str(secret))


@cache
def secrets_provider() -> "SecretsProvider":
    """powertools' caching provider on a client of the default session: a provider left to make its
    own client builds a new boto3 session, about 175 ms of every cold start."""
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=boto3.client("secretsmanager", config=_BOTO_CONFIG))


@lru_cache(maxsize=2)
def _parsed_key_set(secret_string: str) -> KeySet:
    return key_set_from_secret(secret_string)


def forget_signing_keys() -> None:
    """Drop the signing keys read so far (SnapStart's after-restore hook): the next ``key_set()``
    reads Secrets Manager again."""
    _parsed_key_set.cache_clear()
    if secrets_provider.cache_info().currsize:
        secrets_provider().clear_cache()  # type: ignore[no-untyped-call]


def token_issuer() -> str:
    """The ``iss`` of the tokens this function mints and accepts."""
    issuer = settings().token_issuer
    if API_ID not in issuer:
        return issuer
    if api_id is None:
        raise RuntimeError("TOKEN_ISSUER names the API's id, and no event from the API has named it yet")
    return issuer.replace(API_ID, api_id)


def jwt_codec() -> JwtCodec:
    return JwtCodec(key_set(), token_issuer(), settings().token_audience)


def account_admin_service() -> "AccountAdminService":
    from ..domain.accounts.administration import AccountAdminService

    return AccountAdminService(store(), now_clock(), code_outbox)


def account_service() -> "AccountService":
    from ..domain.accounts.service import AccountService

    return AccountService(store(), now_clock())


def tenant_service() -> "TenantService":
    from ..domain.tenants.service import TenantService

    return TenantService(store())


def app_auth_service() -> AppAuthService:
    config = settings()
    lifetimes = AppTokenLifetimes(config.app_token_ttl_seconds, config.app_refresh_ttl_seconds)
    return AppAuthService(store(), jwt_codec(), now_clock(), lifetimes)


def app_ticket_deletion() -> AppTicketDeletion:
    return AppTicketDeletion(store())


def login_service() -> "LoginService":
    from ..domain.sessions.starter import SessionStarter
    from ..domain.signin.registration import LoginService

    return LoginService(store(), store(), _password_hasher(), SessionStarter(jwt_codec()), now_clock())


def sign_in_service() -> "SignInService":
    from ..domain.sessions.starter import SessionStarter
    from ..domain.signin.password import SignInService

    return SignInService(store(), _password_hasher(), SessionStarter(jwt_codec()), now_clock(), code_outbox)


def credential_service() -> "CredentialService":
    from ..domain.credentials.management import CredentialService

    return CredentialService(store(), _password_hasher, now_clock(), code_outbox)


def ticket_service() -> "TicketService":
    """Refresh, log out and the current account: no password hashing, so no argon2 import."""
    from ..domain.sessions.starter import SessionStarter
    from ..domain.sessions.tickets import TicketService

    jwt = jwt_codec()
    return TicketService(store(), SessionStarter(jwt), jwt, now_clock())


def two_factor_service() -> "TwoFactorService":
    """Two-factor codes: no password hashing either."""
    from ..domain.sessions.starter import SessionStarter
    from ..domain.signin.twofactor import TwoFactorService

    return TwoFactorService(store(), code_outbox, SessionStarter(jwt_codec()), now_clock())


def bulk_password_service() -> "BulkPasswordService":
    from ..domain.credentials.bulk import BulkPasswordService

    return BulkPasswordService(store(), _password_hasher, now_clock(), code_outbox)


def recovery_service() -> "RecoveryService":
    """Password recovery: only Update-Forgotten-Password hashes (argon2 is loaded on first use)."""
    from ..domain.credentials.recovery import RecoveryService

    return RecoveryService(store(), code_outbox, _password_hasher, now_clock())


def passwordless_service() -> "PasswordlessService":
    """Passwordless sign-in: codes keyed by a key derived from the signing keys, never stored."""
    from ..domain.sessions.starter import SessionStarter
    from ..domain.signin.passwordless import PURPOSE, PasswordlessService
    from ..tokens.code_keys import CodeKeys

    return PasswordlessService(
        store(),
        code_outbox,
        lambda: CodeKeys(key_set(), PURPOSE),
        lambda: SessionStarter(jwt_codec()),
        now_clock(),
    )


@cache
def code_outbox() -> "EventBridgeOutbox | FileOutbox":
    """The local outbox file (and mailbox) when one is configured (``make run``), else the
    EventBridge bus: codes and security notices alike."""
    from ..outbox import EventBridgeOutbox, FileOutbox
    from .observability import logger

    config = settings()
    if config.code_outbox_file:
        from pathlib import Path

        from ..mail.local import local_mail, mail_folder  # make run's only: it brings Jinja2

        outbox = Path(config.code_outbox_file)
        mail = local_mail(
            mail_folder(config.code_outbox_file, config.local_mail_dir),
            store().get_tenant,
            config.mail_sender,
            config.smtp_url.get_secret_value() if config.smtp_url else None,
            logger,
        )
        return FileOutbox(outbox, logger, mail)
    if not config.code_event_bus_name:
        raise RuntimeError("CODE_EVENT_BUS_NAME (or CODE_OUTBOX_FILE) must be set to deliver codes")
    return EventBridgeOutbox(boto3.client("events", config=_BOTO_CONFIG), config.code_event_bus_name, logger)


@cache
def _password_hasher() -> "Argon2idHasher":
    from ..passwords import Argon2idHasher

    return Argon2idHasher(settings().password_hash_profile)
