"""A shopper's session after sign-in: refresh with rotation, log out, the current account, and
the anonymous shopper's ticket (docs/contract.md §9) that every visitor gets before signing in.

Refresh follows docs/contract.md §5: a refresh family is one session item whose head is the only
token that may rotate. Its immediate parent gets the same child back inside the tenant's grace
window; any other reuse revokes the family.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ...models.account import CustomerAccount
from ...models.auth import CustomerAuthTicket
from ...tokens.jwt import InvalidJwt, JwtCodec
from ...tokens.opaque import SessionLocator, new_id, session_locator, token_digest
from ..accounts.records import StoredAccount
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import Forbidden, InvalidParameter, InvalidToken, RefreshTokenReused, Unauthenticated
from ..kernel.retry import Retry
from ..logins.login import Login
from ..tenants.policies import SignInPolicy
from ..tenants.tenant import usable_tenant
from .ports import SessionStore
from .records import Session, SessionContext
from .shopper import live_session
from .starter import ANONYMOUS_ACCOUNT, IssuedTokens, SessionGrant, SessionStarter


class LogoutScope(StrEnum):
    LOCAL = "local"
    GLOBAL = "global"


def invalid_token() -> InvalidToken:
    """The one answer for an unknown, expired, revoked or reused refresh token."""
    return InvalidToken("The refresh token is not valid.")


def dead_session() -> Unauthenticated:
    return Unauthenticated("The shopper's session is not valid.")


@dataclass(frozen=True, slots=True)
class _Family:
    """A refresh family and what it belongs to: a login and its account, or (anonymous) neither."""

    session: Session
    login: Login | None
    account: StoredAccount | None
    grace_seconds: int

    @property
    def customer_account(self) -> CustomerAccount | None:
        return self.account.account if self.account is not None else None


@dataclass(frozen=True, slots=True)
class TicketService:
    _store: SessionStore
    _sessions: SessionStarter
    _jwt: JwtCodec
    _clock: Clock

    def anonymous_ticket(self, caller: Caller, site_id: int | None) -> CustomerAuthTicket:
        """A new anonymous shopper's ticket: a fresh ``userId``, no account, the tenant's default
        lifetimes, and a refresh family that rotates like a customer's."""
        tenant = usable_tenant(self._store.get_tenant(caller.tenant_id), site_id)
        grant = SessionGrant(
            tenant_id=caller.tenant_id,
            site_id=site_id,
            account_id=ANONYMOUS_ACCOUNT,
            user_id=new_id(),
            username="",
            client_id=caller.client_id,
            access_minutes=tenant.token_policy.access_minutes(None),
            refresh_minutes=tenant.token_policy.refresh_minutes(None),
        )
        retry = Retry()  # a conflicting write (only transient: every key is new): fresh tokens, again
        while True:
            with retry:
                started = self._sessions.start(grant, self._clock())
                self._store.start_anonymous_session(started.session, started.refresh_record)
                return started.ticket(None)

    def refresh(
        self, caller: Caller, refresh_token: str | None, account_id: int | None
    ) -> CustomerAuthTicket:
        """The family's next tokens (or, to the immediate parent in the grace window, the same)."""
        token, locator, digest = _presented(caller, refresh_token, account_id)
        retry = Retry()  # a lost race (another refresh with this token won) re-reads for its child
        while True:
            with retry:
                now = self._clock()
                family = self._family(caller, locator, digest, now)
                session = family.session
                if session.head_digest == digest:
                    username = family.login.username if family.login is not None else ""
                    rotated = self._sessions.rotate(session, token, username, now)
                    self._store.rotate_session(session, rotated.session, rotated.refresh_record, family.login)
                    return rotated.ticket(family.customer_account)
                if _in_grace(family, digest, now):
                    tokens = IssuedTokens.unsealed(token, session)
                    if tokens is not None:
                        return tokens.ticket(family.customer_account, session.user_id)
                raise self._revoked_for_reuse(session)

    def log_out(self, caller: Caller, refresh_token: str | None, scope: LogoutScope) -> None:
        """End the token's session (``local``) or every session of its login (``global``)."""
        _, locator, digest = _presented(caller, refresh_token, None)
        retry = Retry()
        while True:
            with retry:
                now = self._clock()
                family = self._family(caller, locator, digest, now)
                # As refresh treats it: the head, or its parent inside the grace window (a client
                # that lost the refresh's answer); any older token is a reuse, so a leaked one
                # revokes its family and ends nothing else.
                if digest != family.session.head_digest and not _in_grace(family, digest, now):
                    raise self._revoked_for_reuse(family.session)
                if scope is LogoutScope.LOCAL or family.login is None:
                    self._store.end_session(family.session)  # an anonymous shopper has one session only
                    return
                self._store.replace_login(family.login, family.login.revoked(now))
                return

    def current_account(
        self,
        caller: Caller | None,
        access_token: str | None,
        jwt: str | None,
        tenant_id: int | None,
        site_id: int | None,
    ) -> CustomerAccount:
        """The signed-in shopper's own account, named by its opaque ``access_token`` (sent by the
        app ``caller``) or else by its signed ``jwt``; either way its session must still be live,
        so a logged-out shopper is refused at once."""
        if caller is not None and access_token is not None:
            return self._account_of_access_token(caller, access_token)
        if jwt is None:
            raise Unauthenticated(
                "A shopper token is required: its accessToken in x-vol-user-claims, "
                "or its jwtAccessToken as Authorization: Bearer."
            )
        return self._account_of_jwt(jwt, tenant_id, site_id)

    def _account_of_access_token(self, caller: Caller, access_token: str) -> CustomerAccount:
        live = live_session(self._store, caller, access_token, self._clock())
        if live is None or not live.session.is_complete():
            raise dead_session()  # a session waiting for its second factor is good only for the 2FA routes
        return live.account.account

    def _account_of_jwt(self, token: str, tenant_id: int | None, site_id: int | None) -> CustomerAccount:
        """The tenant and site headers, when sent, must be the session's."""
        now = self._clock()
        try:
            claims = self._jwt.verify(token, "shopper", now)
        except InvalidJwt:
            raise dead_session() from None
        locator = _jwt_locator(claims)
        if locator is None:
            raise dead_session()
        if tenant_id is not None and tenant_id != locator.tenant_id:
            raise Forbidden("The shopper token is not valid for this tenant.")
        if site_id is not None and site_id != claims.get("site_id"):
            raise Forbidden("The shopper token is not valid for this site.")
        context = self._store.load_session(locator, with_tenant=False)
        if context.session is None or context.session.user_id != claims.get("sub"):
            raise dead_session()
        return _live_account(context, now)

    def _family(self, caller: Caller, locator: SessionLocator, digest: str, now: datetime) -> _Family:
        context = self._store.load_session(locator, refresh_digest=digest)
        token, session, login, account = (
            context.refresh_token,
            context.session,
            context.login,
            context.account,
        )
        if token is None or token.sid != locator.sid or now >= token.expires_at:
            raise invalid_token()
        policy = context.tenant.sign_in_policy if context.tenant else SignInPolicy()
        if locator.account_id == ANONYMOUS_ACCOUNT:
            # No login, so no generation to revoke it by: the family lives to its absolute end.
            if session is None or now >= session.refresh_expires_at:
                raise invalid_token()
            login = account = None
        elif session is None or login is None or account is None or not session.is_live(login, now):
            raise invalid_token()
        if not caller.acts_on_site_of(session.site_id):
            raise invalid_token()  # another site's session: as unknown to this caller as a foreign one
        return _Family(session, login, account, policy.refresh_grace_seconds)

    def _revoked_for_reuse(self, session: Session) -> RefreshTokenReused:
        self._store.end_session(session)
        return RefreshTokenReused("The refresh token is not valid.")


def _presented(caller: Caller, token: str | None, account_id: int | None) -> tuple[str, SessionLocator, str]:
    """The presented refresh token, its locator and digest; 400 when absent, 401 when foreign."""
    if not token:
        raise InvalidParameter("refreshToken is required.", field="refreshToken")
    locator = session_locator(token)
    if locator is None or locator.tenant_id != caller.tenant_id:
        raise invalid_token()
    if account_id is not None and account_id != locator.account_id:
        raise invalid_token()
    return token, locator, token_digest(token)


def _in_grace(family: _Family, digest: str, now: datetime) -> bool:
    session = family.session
    return (
        family.grace_seconds > 0
        and session.parent_digest == digest
        and session.rotated_at is not None
        and now <= session.rotated_at + timedelta(seconds=family.grace_seconds)
    )


def _live_account(context: SessionContext, now: datetime) -> CustomerAccount:
    session, login, account = context.session, context.login, context.account
    if session is None or login is None or account is None or not session.is_live(login, now):
        raise dead_session()
    if not session.is_complete():
        raise dead_session()  # waiting for its second factor: good only for the 2FA routes
    return account.account


def _jwt_locator(claims: dict[str, Any]) -> SessionLocator | None:
    tenant_id, account_id, sid = claims.get("tenant_id"), claims.get("account_id"), claims.get("sid")
    if isinstance(tenant_id, int) and isinstance(account_id, int) and isinstance(sid, str):
        return SessionLocator(tenant_id, account_id, sid)
    return None
