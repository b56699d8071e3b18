"""What a container builds once and reuses across invocations: clients, keys and services.

Everything is lazy, so a function pays at cold start only for what its route uses (the JWKS
function never imports argon2; only Create-Login builds a password hasher).
"""

from functools import cache, lru_cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from ..domain.accounts import AccountService
from ..domain.apps import AppAuthService, AppTokenLifetimes
from ..domain.clock import Clock, system_clock
from ..domain.tenants import TenantService
from ..store.dynamodb import DynamoStore
from ..tokens.jwt import JwtCodec
from ..tokens.keys import KeySet, key_set_from_secret
from .settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    from ..domain.account_admin import AccountAdminService
    from ..domain.bulk_passwords import BulkPasswordService
    from ..domain.credentials import CredentialService
    from ..domain.logins import LoginService
    from ..domain.passwordless import PasswordlessService
    from ..domain.recovery import RecoveryService
    from ..domain.signin import SignInService
    from ..domain.tickets import TicketService
    from ..domain.twofactor import TwoFactorService
    from ..outbox import EventBridgeOutbox, FileOutbox
    from ..passwords import Argon2idHasher

_BOTO_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=3,
)

clock: Clock = system_clock
"""The service's clock; tests replace it to control time."""


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


def jwt_codec() -> JwtCodec:
    config = settings()
    return JwtCodec(key_set(), config.token_issuer, config.token_audience)


def account_admin_service() -> "AccountAdminService":
    from ..domain.account_admin import AccountAdminService

    return AccountAdminService(store(), now_clock(), code_outbox)


def account_service() -> AccountService:
    return AccountService(store(), now_clock())


def tenant_service() -> TenantService:
    return TenantService(store())


def app_auth_service() -> AppAuthService:
    config = settings()
    lifetimes = AppTokenLifetimes(config.app_token_ttl_seconds, config.app_refresh_ttl_seconds)
    return AppAuthService(store(), jwt_codec(), now_clock(), lifetimes)


def login_service() -> "LoginService":
    from ..domain.logins import LoginService
    from ..domain.sessions import SessionStarter

    return LoginService(store(), store(), _password_hasher(), SessionStarter(jwt_codec()), now_clock())


def sign_in_service() -> "SignInService":
    from ..domain.sessions import SessionStarter
    from ..domain.signin import SignInService

    return SignInService(store(), _password_hasher(), SessionStarter(jwt_codec()), now_clock(), code_outbox)


def credential_service() -> "CredentialService":
    from ..domain.credentials import CredentialService

    return CredentialService(store(), _password_hasher, now_clock(), code_outbox)


def ticket_service() -> "TicketService":
    """Refresh, log out and the current account: no password hashing, so no argon2 import."""
    from ..domain.sessions import SessionStarter
    from ..domain.tickets import TicketService

    jwt = jwt_codec()
    return TicketService(store(), SessionStarter(jwt), jwt, now_clock())


def two_factor_service() -> "TwoFactorService":
    """Two-factor codes: no password hashing either."""
    from ..domain.sessions import SessionStarter
    from ..domain.twofactor import TwoFactorService

    return TwoFactorService(store(), code_outbox, SessionStarter(jwt_codec()), now_clock())


def bulk_password_service() -> "BulkPasswordService":
    from ..domain.bulk_passwords import BulkPasswordService

    return BulkPasswordService(store(), _password_hasher, now_clock(), code_outbox)


def recovery_service() -> "RecoveryService":
    """Password recovery: only Update-Forgotten-Password hashes (argon2 is loaded on first use)."""
    from ..domain.recovery import RecoveryService

    return RecoveryService(store(), code_outbox, _password_hasher, now_clock())


def passwordless_service() -> "PasswordlessService":
    """Passwordless sign-in: codes keyed by a key derived from the signing keys, never stored."""
    from ..domain.passwordless import PURPOSE, PasswordlessService
    from ..domain.sessions import SessionStarter
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
