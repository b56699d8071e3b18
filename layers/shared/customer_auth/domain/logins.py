"""Create-Login: give an existing account a login and sign the customer in, in one atomic write."""

from dataclasses import dataclass
from datetime import datetime

from ..models.account import CustomerAccount
from ..models.auth import CustomerAuthTicket, CustomerLoginInfo
from ..tokens.opaque import new_id
from .behaviors import Behavior
from .caller import Caller
from .clock import Clock
from .errors import ConcurrentUpdate, Conflict, Forbidden, InvalidParameter, NotFound, Unavailable
from .identity import checked_email, checked_username
from .passwords import PasswordHasher, check_importable_hash, check_password_policy
from .ports import AccountStore
from .records import Login, LoginContext, NewLogin, StoredAccount
from .sessions import SessionGrant, SessionStarter, fingerprint_digest
from .tenants import Tenant

_WRITE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class _Credential:
    secret: str
    is_external: bool


class LoginService:
    def __init__(
        self, store: AccountStore, hasher: PasswordHasher, sessions: SessionStarter, clock: Clock
    ) -> None:
        self._store = store
        self._hasher = hasher
        self._sessions = sessions
        self._clock = clock

    def create_login(
        self, caller: Caller, site_id: int | None, account_id: int, info: CustomerLoginInfo
    ) -> CustomerAuthTicket:
        """Create the account's login and its first session; see CONTRACT.md §4."""
        if info.auth_ticket_ttl_minutes is not None or info.refresh_token_ttl_minutes is not None:
            caller.require(Behavior.CONFIGURE_TOKEN_DURATIONS)
        email, username = _requested_identity(info)
        credential = _requested_credential(info)

        hashed: _Credential | None = None
        for _ in range(_WRITE_ATTEMPTS):
            tenant, stored = _writable(
                self._store.load_for_login(caller.tenant_id, account_id), account_id, site_id
            )
            access_minutes = tenant.token_policy.access_minutes(info.auth_ticket_ttl_minutes)
            refresh_minutes = tenant.token_policy.refresh_minutes(info.refresh_token_ttl_minutes)
            login_email = email or stored.account.email_address
            # Hashed once, after every cheap refusal, however often the write is retried.
            hashed = hashed or self._hashed(credential, [i for i in (login_email, username) if i])

            now = self._clock()
            login = Login(
                tenant_id=caller.tenant_id,
                account_id=account_id,
                user_id=new_id(),
                username=username,
                email=login_email,
                password_hash=hashed.secret,
                password_is_external=hashed.is_external,
                created_at=now,
                trusted_fingerprint_digests=_present(
                    info.fingerprint and fingerprint_digest(info.fingerprint)
                ),
                trusted_regions=_present(info.region),
            )
            account_after = _registered(stored.account, login, caller.client_id, now)
            grant = SessionGrant(
                tenant_id=caller.tenant_id,
                site_id=site_id,
                account_id=account_id,
                user_id=login.user_id,
                username=username,
                client_id=caller.client_id,
                access_minutes=access_minutes,
                refresh_minutes=refresh_minutes,
            )
            started = self._sessions.start(grant, now)
            try:
                self._store.create_login(
                    NewLogin(
                        login=login,
                        account_before=stored,
                        account_after=account_after,
                        session=started.session,
                        refresh_token=started.refresh_record,
                        identifier_fields=login.identifiers(),
                    )
                )
            except ConcurrentUpdate:
                continue
            return started.ticket(account_after)
        raise Unavailable("the account kept changing during Create-Login")

    def _hashed(self, credential: _Credential, identifiers: list[str]) -> _Credential:
        if credential.is_external:
            return credential
        check_password_policy(credential.secret, identifiers)
        return _Credential(self._hasher.hash(credential.secret), is_external=False)


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
    if context.tenant is None:
        raise Forbidden("The caller's tenant is not provisioned.")
    if site_id is not None and not context.tenant.has_site(site_id):
        raise Forbidden(f"Site {site_id} does not belong to the tenant.")
    if context.has_login:
        raise Conflict(f"Account {account_id} already has a login.", field="accountId")
    return context.tenant, context.account


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


def _present(value: str | None) -> tuple[str, ...]:
    return (value,) if value else ()


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
