"""Application authentication: OAuth client credentials and refresh, and Kibo's older app ticket
(application id and shared secret, refresh-ticket, delete), both minting the same app tokens."""

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ...models.auth import AuthTicket
from ...tokens.jwt import InvalidJwt, JwtCodec
from ...tokens.opaque import new_opaque_token, token_digest
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import InvalidCredentials, InvalidParameter, Unauthenticated
from ..kernel.retry import Retry
from .ports import AppStore
from .records import AppClient, AppRefreshToken

GRANT_TYPES = frozenset({"client_credentials", "refresh_token"})

_BAD_CLIENT = "The client credentials are not valid."
_BAD_REFRESH = "The refresh token is not valid."
# Compared against when the client does not exist, so both paths do the same work.
_DUMMY_DIGEST = token_digest("no such client")


@dataclass(frozen=True, slots=True)
class AppTokens:
    # Secrets: kept out of repr, so no log line or traceback can show them.
    access_token: str = field(repr=False)
    expires_in: int
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime

    def as_ticket(self) -> AuthTicket:
        """Kibo's app ``AuthTicket``: the older app ticket's answer."""
        return AuthTicket(
            access_token=self.access_token,
            access_token_expiration=self.access_expires_at,
            refresh_token=self.refresh_token,
            refresh_token_expiration=self.refresh_expires_at,
        )


@dataclass(frozen=True, slots=True)
class AppTokenLifetimes:
    access_seconds: int = 3600
    refresh_seconds: int = 24 * 3600


@dataclass(frozen=True, slots=True)
class AppAuthService:
    _store: AppStore
    _jwt: JwtCodec
    _clock: Clock
    _lifetimes: AppTokenLifetimes

    def authenticate(
        self,
        client_id: str | None,
        client_secret: str | None,
        grant_type: str | None,
        refresh_token: str | None,
    ) -> AppTokens:
        """Kibo's oauth endpoint: credentials alone, or credentials with a refresh token to renew."""
        if grant_type is None or grant_type not in GRANT_TYPES:
            raise InvalidParameter(
                "grant_type must be client_credentials or refresh_token.", field="grant_type"
            )
        if not client_id:
            raise InvalidParameter("client_id is required.", field="client_id")
        if not client_secret:
            raise InvalidParameter("client_secret is required.", field="client_secret")
        if grant_type == "refresh_token" and not refresh_token:
            raise InvalidParameter("refresh_token is required.", field="refresh_token")
        if refresh_token:
            return self._renew(client_id, client_secret, refresh_token)
        return self._issue(client_id, client_secret, legacy_ticket=False)

    def authenticate_app(self, application_id: str | None, shared_secret: str | None) -> AppTokens:
        """Kibo's older app ticket: the client's id and secret under Kibo's ``AppAuthInfo`` names."""
        if not application_id:
            raise InvalidParameter("applicationId is required.", field="applicationId")
        if not shared_secret:
            raise InvalidParameter("sharedSecret is required.", field="sharedSecret")
        return self._issue(application_id, shared_secret, legacy_ticket=True)

    def refresh_app_ticket(self, refresh_token: str | None) -> AppTokens:
        """A new older-style ticket for the refresh token's client; the token is spent. Only a
        token minted as such a ticket renews on its own (an OAuth one needs the client's secret)."""
        if not refresh_token:
            raise InvalidParameter("refreshToken is required.", field="refreshToken")
        retry = Retry()  # a lost race re-reads: if another renewal used the token, it is refused
        while True:
            with retry:
                stored = self._store.get_app_refresh(token_digest(refresh_token))
                if stored is None or not stored.legacy_ticket or stored.expires_at <= self._clock():
                    raise InvalidCredentials(_BAD_REFRESH)
                client = self._store.get_client(stored.client_id)
                if client is None or not client.enabled:
                    raise InvalidCredentials(_BAD_REFRESH)
                tokens, record = self._mint(client, legacy_ticket=True)
                if not self._store.rotate_app_refresh(stored, record):
                    raise InvalidCredentials(_BAD_REFRESH)
                return tokens

    def _issue(self, client_id: str, client_secret: str, *, legacy_ticket: bool) -> AppTokens:
        client = self._verified_client(self._store.get_client(client_id), client_secret)
        tokens, record = self._mint(client, legacy_ticket=legacy_ticket)
        self._store.put_app_refresh(record)
        return tokens

    def _renew(self, client_id: str, client_secret: str, refresh_token: str) -> AppTokens:
        retry = Retry()  # a lost race re-reads: if another renewal used the token, it is refused
        while True:
            with retry:
                client, stored = self._store.get_client_and_refresh(client_id, token_digest(refresh_token))
                client = self._verified_client(client, client_secret)
                if (
                    stored is None
                    or stored.client_id != client.client_id
                    or stored.expires_at <= self._clock()
                ):
                    raise InvalidCredentials(_BAD_REFRESH)
                tokens, record = self._mint(client, legacy_ticket=False)
                if not self._store.rotate_app_refresh(stored, record):
                    raise InvalidCredentials(_BAD_REFRESH)
                return tokens

    def _verified_client(self, client: AppClient | None, secret: str) -> AppClient:
        expected = client.secret_digest if client is not None else _DUMMY_DIGEST
        matches = hmac.compare_digest(token_digest(secret), expected)
        if client is None or not matches or not client.enabled:
            raise InvalidCredentials(_BAD_CLIENT)
        return client

    def _mint(self, client: AppClient, *, legacy_ticket: bool) -> tuple[AppTokens, AppRefreshToken]:
        # The tenant's sites travel in the token, so every route can refuse a site header that
        # names no site of the tenant without reading the table. A site added to the tenant is
        # usable with the next app token, as a changed behavior is.
        tenant = self._store.get_tenant(client.tenant_id)
        sites = sorted(site.id for site in tenant.sites) if tenant is not None else []
        now = self._clock()
        access_expires = now + timedelta(seconds=self._lifetimes.access_seconds)
        access_token = self._jwt.mint(
            "app",
            client.client_id,
            now,
            access_expires,
            {
                "client_id": client.client_id,
                "tenant_id": client.tenant_id,
                "site_id": client.site_id,
                "sites": sites,
                "behaviors": sorted(client.behaviors),
            },
        )
        refresh_token = new_opaque_token()
        record = AppRefreshToken(
            digest=token_digest(refresh_token),
            client_id=client.client_id,
            expires_at=now + timedelta(seconds=self._lifetimes.refresh_seconds),
            legacy_ticket=legacy_ticket,
        )
        tokens = AppTokens(
            access_token,
            self._lifetimes.access_seconds,
            refresh_token,
            access_expires_at=access_expires,
            refresh_expires_at=record.expires_at,
        )
        return tokens, record


@dataclass(frozen=True, slots=True)
class AppTicketDeletion:
    """Kibo's ``deleteAppAuthTicket``: it needs the table only, not the signing keys."""

    _store: AppStore

    def delete(self, refresh_token: str) -> None:
        """The refresh token (of either route) no longer renews; an unknown one is no error, so the
        answer tells nothing about the token (as OAuth's revocation, RFC 7009)."""
        self._store.delete_app_refresh(token_digest(refresh_token))


def caller_from_app_token(jwt: JwtCodec, token: str, clock: Clock) -> Caller:
    """The application an app token names; ``Unauthenticated`` for any token we would not accept."""
    try:
        claims = jwt.verify(token, "app", clock())
        behaviors = claims["behaviors"]
        tenant_id, site_id, client_id = claims["tenant_id"], claims.get("site_id"), claims["client_id"]
        sites = claims["sites"]  # tokens minted before sites were carried are refused: mint anew
        if (
            not isinstance(sites, list)
            or not all(isinstance(s, int) for s in sites)
            or not isinstance(behaviors, list)
            or not all(isinstance(b, str) for b in behaviors)
            or not isinstance(tenant_id, int)
            or not isinstance(client_id, str)
            or not (site_id is None or isinstance(site_id, int))
        ):
            raise InvalidJwt("malformed app claims")
    except (InvalidJwt, KeyError) as error:
        raise Unauthenticated("The application token is missing or not valid.") from error
    return Caller(
        client_id=client_id,
        tenant_id=tenant_id,
        site_id=site_id,
        behaviors=frozenset(behaviors),
        tenant_sites=frozenset(sites),
    )
