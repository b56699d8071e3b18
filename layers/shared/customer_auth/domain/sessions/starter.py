"""Shopper sessions: the opaque access token, the refresh family and the signed JWT."""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from ...models.account import CustomerAccount
from ...models.auth import CustomerAuthTicket
from ...tokens import sealing
from ...tokens.jwt import KIBO_USER_CLAIMS, JwtCodec
from ...tokens.opaque import SessionLocator, new_id, new_session_token, token_digest
from ..accounts.records import NO_ACCOUNT
from ..kernel.caller import Caller
from ..logins.devices import Device
from ..logins.login import Login
from .records import AwaitedSecondFactor, RefreshToken, Session

WAITING_LIFE = timedelta(minutes=15)
"""How long a session may wait for its second factor (several codes' worth)."""

ANONYMOUS_ACCOUNT = NO_ACCOUNT
"""The account id of an anonymous shopper's session: no login or account is ever found under it,
so an anonymous token is never taken for a customer's."""


@dataclass(frozen=True, slots=True)
class SessionGrant:
    """Who the session is for and how long its tokens live."""

    tenant_id: int
    site_id: int | None
    account_id: int
    user_id: str
    username: str
    client_id: str
    access_minutes: int
    refresh_minutes: int
    generation: int = 0

    @property
    def anonymous(self) -> bool:
        return self.account_id == ANONYMOUS_ACCOUNT

    @classmethod
    def signing_in(
        cls, caller: Caller, site_id: int | None, login: Login, *, access_minutes: int, refresh_minutes: int
    ) -> "SessionGrant":
        """What a login signing in is granted (``login`` as it is once signed in), for the caller's
        client in the request's site."""
        return cls(
            tenant_id=caller.tenant_id,
            site_id=site_id,
            account_id=login.account_id,
            user_id=login.user_id,
            username=login.username,
            client_id=caller.client_id,
            access_minutes=access_minutes,
            refresh_minutes=refresh_minutes,
            generation=login.generation,
        )

    @classmethod
    def continuing(cls, session: Session, *, username: str, refresh_minutes: int) -> "SessionGrant":
        """What a session's successor is granted: the same shopper, client and access life."""
        return cls(
            tenant_id=session.tenant_id,
            site_id=session.site_id,
            account_id=session.account_id,
            user_id=session.user_id,
            username=username,
            client_id=session.client_id,
            access_minutes=session.access_minutes,
            refresh_minutes=refresh_minutes,
            generation=session.generation,
        )


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """The plaintext tokens handed out once; kept out of repr so no log line can show them."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    jwt_access_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime

    def ticket(self, account: CustomerAccount | None, user_id: str) -> CustomerAuthTicket:
        """The ticket; an anonymous shopper's has no ``customerAccount``."""
        return CustomerAuthTicket(
            customer_account=account,
            access_token=self.access_token,
            access_token_expiration=self.access_expires_at,
            refresh_token=self.refresh_token,
            refresh_token_expiration=self.refresh_expires_at,
            user_id=user_id,
            jwt_access_token=self.jwt_access_token,
            requires_2fa=False,
        )

    def sealed_for(self, parent_token: str) -> str:
        return sealing.seal(
            parent_token,
            {
                "accessToken": self.access_token,
                "refreshToken": self.refresh_token,
                "jwtAccessToken": self.jwt_access_token,
                "accessExpiresAt": self.access_expires_at.isoformat(),
            },
        )

    @classmethod
    def unsealed(cls, parent_token: str, session: Session) -> "IssuedTokens | None":
        """The head's tokens, if ``parent_token`` is the one they were sealed for."""
        opened = sealing.unseal(parent_token, session.sealed_head) if session.sealed_head else None
        if opened is None:
            return None
        return cls(
            access_token=opened["accessToken"],
            refresh_token=opened["refreshToken"],
            jwt_access_token=opened["jwtAccessToken"],
            access_expires_at=datetime.fromisoformat(opened["accessExpiresAt"]),
            refresh_expires_at=session.refresh_expires_at,
        )


@dataclass(frozen=True, slots=True)
class StartedSession:
    """The records to store and the tokens to hand out once."""

    session: Session
    refresh_record: RefreshToken
    tokens: IssuedTokens

    def ticket(self, account: CustomerAccount | None) -> CustomerAuthTicket:
        return self.tokens.ticket(account, self.session.user_id)


@dataclass(frozen=True, slots=True)
class WaitingSession:
    """A session signed in with a password, waiting for its second factor, and its one token."""

    session: Session
    access_token: str = field(repr=False)

    def ticket(self, account: CustomerAccount) -> CustomerAuthTicket:
        """The limited ticket: an access token good only for the 2FA routes, no refresh token, no
        JWT, and of the account only what names it (its details wait for the second factor)."""
        named = CustomerAccount(
            id=account.id,
            user_id=account.user_id,
            user_name=account.user_name,
            email_address=account.email_address,
            is_anonymous=account.is_anonymous,
        )
        return CustomerAuthTicket(
            customer_account=named,
            access_token=self.access_token,
            access_token_expiration=self.session.access_expires_at,
            refresh_token=None,
            refresh_token_expiration=None,
            user_id=self.session.user_id,
            jwt_access_token=None,
            requires_2fa=True,
        )


class SessionStarter:
    """Mints the tokens of new sessions and of refresh rotations."""

    def __init__(self, jwt: JwtCodec) -> None:
        self._jwt = jwt

    def start(self, grant: SessionGrant, now: datetime) -> StartedSession:
        locator = SessionLocator(grant.tenant_id, grant.account_id, new_id())
        refresh_expires = now + timedelta(minutes=grant.refresh_minutes)
        tokens = self._tokens(grant, locator, now, refresh_expires)
        session = replace(
            _new_session(grant, locator, now, tokens.access_token, tokens.access_expires_at, refresh_expires),
            head_digest=token_digest(tokens.refresh_token),
        )
        return StartedSession(session, self._refresh_record(session), tokens)

    def start_waiting(self, grant: SessionGrant, device: Device, now: datetime) -> WaitingSession:
        """A session that waits for its second factor: one access token, no refresh token."""
        locator = SessionLocator(grant.tenant_id, grant.account_id, new_id())
        access_token = new_session_token(locator)
        expires = now + WAITING_LIFE
        session = replace(
            _new_session(grant, locator, now, access_token, expires, expires),
            awaiting=AwaitedSecondFactor(device, grant.refresh_minutes),
        )
        return WaitingSession(session, access_token)

    def rotate(self, session: Session, parent_token: str, username: str, now: datetime) -> StartedSession:
        """The family's next member: new tokens, the session's head moved, the child sealed."""
        family_minutes = (session.refresh_expires_at - session.created_at) // timedelta(minutes=1)
        grant = SessionGrant.continuing(session, username=username, refresh_minutes=family_minutes)
        locator = SessionLocator(session.tenant_id, session.account_id, session.sid)
        tokens = self._tokens(grant, locator, now, session.refresh_expires_at)
        rotated = replace(
            session,
            access_token_digest=token_digest(tokens.access_token),
            access_expires_at=tokens.access_expires_at,
            head_digest=token_digest(tokens.refresh_token),
            parent_digest=session.head_digest,
            rotated_at=now,
            sealed_head=tokens.sealed_for(parent_token),
            version=session.version + 1,
        )
        return StartedSession(rotated, self._refresh_record(rotated), tokens)

    def _tokens(
        self, grant: SessionGrant, locator: SessionLocator, now: datetime, refresh_expires: datetime
    ) -> IssuedTokens:
        access_expires = now + timedelta(minutes=grant.access_minutes)
        return IssuedTokens(
            access_token=new_session_token(locator),
            refresh_token=new_session_token(locator),
            jwt_access_token=self._shopper_jwt(grant, locator.sid, now, access_expires),
            access_expires_at=access_expires,
            refresh_expires_at=refresh_expires,
        )

    @staticmethod
    def _refresh_record(session: Session) -> RefreshToken:
        return RefreshToken(
            digest=session.head_digest,
            sid=session.sid,
            tenant_id=session.tenant_id,
            account_id=session.account_id,
            expires_at=session.refresh_expires_at,
        )

    def _shopper_jwt(self, grant: SessionGrant, sid: str, now: datetime, expires: datetime) -> str:
        kibo_claims: dict[str, object] = {
            "uid": grant.user_id,
            "anon": "1" if grant.anonymous else "0",
            "bv": [],
            "b.TenantId": str(grant.tenant_id),
        }
        if grant.site_id is not None:
            kibo_claims["b.SiteId"] = str(grant.site_id)
        claims: dict[str, object] = {
            "sid": sid,
            "tenant_id": grant.tenant_id,
            "site_id": grant.site_id,
            "client_id": grant.client_id,
            KIBO_USER_CLAIMS: kibo_claims,
        }
        if not grant.anonymous:
            # An anonymous shopper's JWT names no account, so no route can take it for a customer's.
            claims |= {"account_id": grant.account_id, "unique_name": grant.username}
        return self._jwt.mint("shopper", grant.user_id, now, expires, claims)


def _new_session(
    grant: SessionGrant,
    locator: SessionLocator,
    now: datetime,
    access_token: str,
    access_expires: datetime,
    refresh_expires: datetime,
) -> Session:
    return Session(
        sid=locator.sid,
        tenant_id=grant.tenant_id,
        site_id=grant.site_id,
        account_id=grant.account_id,
        user_id=grant.user_id,
        client_id=grant.client_id,
        created_at=now,
        access_token_digest=token_digest(access_token),
        access_expires_at=access_expires,
        refresh_expires_at=refresh_expires,
        generation=grant.generation,
        access_minutes=grant.access_minutes,
    )
