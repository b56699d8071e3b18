"""Starting a shopper session: the opaque access token, the refresh token and the signed JWT."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..models.account import CustomerAccount
from ..models.auth import CustomerAuthTicket
from ..tokens.jwt import KIBO_USER_CLAIMS, JwtCodec
from ..tokens.opaque import new_id, new_opaque_token, token_digest
from .records import RefreshToken, Session


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


@dataclass(frozen=True, slots=True)
class StartedSession:
    """The records to store and the plaintext tokens to hand out once."""

    session: Session
    refresh_record: RefreshToken
    # Secrets: kept out of repr, so no log line or traceback can show them.
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    jwt_access_token: str = field(repr=False)

    def ticket(self, account: CustomerAccount) -> CustomerAuthTicket:
        return CustomerAuthTicket(
            customer_account=account,
            access_token=self.access_token,
            access_token_expiration=self.session.access_expires_at,
            refresh_token=self.refresh_token,
            refresh_token_expiration=self.refresh_record.expires_at,
            user_id=self.session.user_id,
            jwt_access_token=self.jwt_access_token,
            requires_2fa=False,
        )


def fingerprint_digest(fingerprint: str) -> str:
    """Device fingerprints are kept only as digests."""
    return hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()


class SessionStarter:
    def __init__(self, jwt: JwtCodec) -> None:
        self._jwt = jwt

    def start(self, grant: SessionGrant, now: datetime) -> StartedSession:
        sid = new_id()
        access_token, refresh_token = new_opaque_token(), new_opaque_token()
        access_expires = now + timedelta(minutes=grant.access_minutes)
        refresh_expires = now + timedelta(minutes=grant.refresh_minutes)
        session = Session(
            sid=sid,
            tenant_id=grant.tenant_id,
            site_id=grant.site_id,
            account_id=grant.account_id,
            user_id=grant.user_id,
            client_id=grant.client_id,
            created_at=now,
            access_token_digest=token_digest(access_token),
            access_expires_at=access_expires,
            refresh_expires_at=refresh_expires,
        )
        refresh_record = RefreshToken(
            digest=token_digest(refresh_token),
            sid=sid,
            tenant_id=grant.tenant_id,
            account_id=grant.account_id,
            expires_at=refresh_expires,
        )
        return StartedSession(
            session=session,
            refresh_record=refresh_record,
            access_token=access_token,
            refresh_token=refresh_token,
            jwt_access_token=self._shopper_jwt(grant, sid, now, access_expires),
        )

    def _shopper_jwt(self, grant: SessionGrant, sid: str, now: datetime, expires: datetime) -> str:
        kibo_claims: dict[str, object] = {
            "uid": grant.user_id,
            "anon": "0",
            "bv": [],
            "b.TenantId": str(grant.tenant_id),
        }
        if grant.site_id is not None:
            kibo_claims["b.SiteId"] = str(grant.site_id)
        claims = {
            "sid": sid,
            "tenant_id": grant.tenant_id,
            "site_id": grant.site_id,
            "account_id": grant.account_id,
            "client_id": grant.client_id,
            "unique_name": grant.username,
            KIBO_USER_CLAIMS: kibo_claims,
        }
        return self._jwt.mint("shopper", grant.user_id, now, expires, claims)
