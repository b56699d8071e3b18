"""Create-Login and Add-Account-And-Login: a login and its first session, in one atomic write."""

from dataclasses import dataclass, field
from datetime import datetime

from ...models.account import CustomerAccount
from ...models.auth import CustomerAccountAndAuthInfo, CustomerAuthTicket, CustomerLoginInfo
from ...tokens.opaque import new_id
from ..accounts.records import LoginContext, StoredAccount
from ..accounts.service import ID_ATTEMPTS, check_new_account, new_account, random_account_id
from ..credentials.passwords import PasswordHasher, check_importable_hash, check_password_policy
from ..kernel.behaviors import Behavior
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import AccountIdTaken, Conflict, InvalidParameter, NotFound
from ..kernel.identifiers import checked_email, checked_username
from ..kernel.retry import Retry
from ..logins.devices import Device
from ..logins.login import Login
from ..sessions.starter import SessionGrant, SessionStarter
from ..tenants.ports import TenantStore
from ..tenants.tenant import Tenant, usable_tenant
from .ports import RegistrationStore
from .records import NewLogin


@dataclass(frozen=True, slots=True)
class _Credential:
    secret: str = field(repr=False)  # a password or a hash: never in a log line or a traceback
    is_external: bool


@dataclass(frozen=True, slots=True)
class _Request:
    """A login request's checked fields, before anything is read."""

    email: str | None
    username: str
    credential: _Credential
    info: CustomerLoginInfo


@dataclass(frozen=True, slots=True)
class LoginService:
    _store: RegistrationStore
    _tenants: TenantStore
    _hasher: PasswordHasher
    _sessions: SessionStarter
    _clock: Clock

    def create_login(
        self, caller: Caller, site_id: int | None, account_id: int, info: CustomerLoginInfo
    ) -> CustomerAuthTicket:
        """Create the account's login and its first session; see docs/contract.md §4."""
        request = _checked_request(caller, info)
        hashed: _Credential | None = None
        retry = Retry()
        while True:
            with retry:
                tenant, stored = _writable(
                    self._store.load_login(caller.tenant_id, account_id), account_id, site_id
                )
                lifetimes = _lifetimes(tenant, request.info)
                login_email = request.email or stored.account.email_address
                # Hashed once, after every cheap refusal, however often the write is retried.
                hashed = hashed or self._hashed(request.credential, tenant, [login_email, request.username])
                return self._create(
                    caller,
                    site_id,
                    lifetimes,
                    stored,
                    stored.account,
                    request,
                    login_email,
                    hashed,
                    self._clock(),
                )

    def add_account_and_login(
        self, caller: Caller, site_id: int | None, info: CustomerAccountAndAuthInfo
    ) -> CustomerAuthTicket:
        """Create an account, its login and its first session in one atomic write."""
        if info.account is None:
            raise InvalidParameter("account is required.", field="account")
        check_new_account(info.account)
        request = _checked_request(caller, info.login_info())
        tenant = usable_tenant(self._tenants.get_tenant(caller.tenant_id), site_id)
        lifetimes = _lifetimes(tenant, request.info)
        hashed = self._hashed(request.credential, tenant, [request.email, request.username])
        retry = Retry(ID_ATTEMPTS, also=AccountIdTaken)  # another id, or the same write again
        while True:
            with retry:
                now = self._clock()
                account = new_account(caller, info.account, random_account_id(), now)
                return self._create(
                    caller, site_id, lifetimes, None, account, request, request.email, hashed, now
                )

    def _create(
        self,
        caller: Caller,
        site_id: int | None,
        lifetimes: tuple[int, int],
        before: StoredAccount | None,
        account: CustomerAccount,
        request: _Request,
        email: str | None,
        hashed: _Credential,
        now: datetime,
    ) -> CustomerAuthTicket:
        """The login, its account and its first session written at once (``before``: the account
        as read, ``None`` when it is new)."""
        info = request.info
        user_id = new_id()
        login = Login(
            tenant_id=caller.tenant_id,
            account_id=account.id,
            user_id=user_id,
            username=request.username,
            email=email,
            password_hash=hashed.secret,
            password_is_external=hashed.is_external,
            created_at=now,
            updated_at=now,
        ).trusting(Device.of(user_id, info.fingerprint, info.region))
        grant = SessionGrant.signing_in(
            caller, site_id, login, access_minutes=lifetimes[0], refresh_minutes=lifetimes[1]
        )
        account_after, started = (
            _registered(account, login, caller.client_id, now),
            self._sessions.start(grant, now),
        )
        self._store.create_login(
            NewLogin(
                login, before, account_after, started.session, started.refresh_record, login.identifiers()
            )
        )
        return started.ticket(account_after)

    def _hashed(self, credential: _Credential, tenant: Tenant, identifiers: list[str | None]) -> _Credential:
        if credential.is_external:
            return credential
        check_password_policy(
            credential.secret,
            [i for i in identifiers if i],
            require_letter_and_digit=tenant.sign_in_policy.require_letter_and_digit,
        )
        return _Credential(self._hasher.hash(credential.secret), is_external=False)


def _checked_request(caller: Caller, info: CustomerLoginInfo) -> _Request:
    if info.auth_ticket_ttl_minutes is not None or info.refresh_token_ttl_minutes is not None:
        caller.require(Behavior.CONFIGURE_TOKEN_DURATIONS)
    email, username = _requested_identity(info)
    return _Request(email, username, _requested_credential(info), info)


def _lifetimes(tenant: Tenant, info: CustomerLoginInfo) -> tuple[int, int]:
    """The access and refresh minutes to grant (400 above the tenant's or the platform's cap)."""
    return (
        tenant.token_policy.access_minutes(info.auth_ticket_ttl_minutes),
        tenant.token_policy.refresh_minutes(info.refresh_token_ttl_minutes),
    )


def _requested_identity(info: CustomerLoginInfo) -> tuple[str | None, str]:
    """The login's email (if given) and username (the email when absent)."""
    email = checked_email(info.email_address) if info.email_address is not None else None
    if info.username is not None:
        return email, checked_username(info.username)
    if email is not None:
        return email, email
    raise InvalidParameter("emailAddress or username is required.", field="emailAddress")


def _writable(context: LoginContext, account_id: int, site_id: int | None) -> tuple[Tenant, StoredAccount]:
    """The tenant and account a login may be created for; the 403/404/409 refusals otherwise."""
    if context.account is None:
        raise NotFound(f"Account {account_id} was not found.", field="accountId")
    tenant = usable_tenant(context.tenant, site_id)
    if context.login is not None:
        raise Conflict(f"Account {account_id} already has a login.", field="accountId")
    return tenant, context.account


def _registered(account: CustomerAccount, login: Login, client_id: str, now: datetime) -> CustomerAccount:
    """A guest account turned registered by its new login."""
    return account.model_copy(
        update={
            "user_id": login.user_id,
            "user_name": login.username,
            "email_address": account.email_address or login.email,
            "is_anonymous": False,
            "has_external_password": login.password_is_external,
            "audit_info": account.audit_info.model_copy(update={"update_by": client_id, "update_date": now}),
        }
    )


def _requested_credential(info: CustomerLoginInfo) -> _Credential:
    if info.external_password is not None:
        if info.is_import is not True:
            raise InvalidParameter("externalPassword requires isImport: true.", field="isImport")
        if info.password is not None:
            raise InvalidParameter("Give password or externalPassword, not both.", field="password")
        check_importable_hash(info.external_password)
        return _Credential(info.external_password, is_external=True)
    if info.is_import:
        raise InvalidParameter("isImport requires externalPassword.", field="externalPassword")
    if info.password is None:
        raise InvalidParameter("password is required.", field="password")
    return _Credential(info.password, is_external=False)
