"""Application authentication: OAuth client credentials and refresh, minting app tokens."""

import hmac
from dataclasses import dataclass, field
from datetime import timedelta

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
        client = self._verified_client(self._store.get_client(client_id), client_secret)
        tokens, record = self._mint(client)
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
                tokens, record = self._mint(client)
                if not self._store.rotate_app_refresh(stored, record):
                    raise InvalidCredentials(_BAD_REFRESH)
                return tokens

    def _verified_client(self, client: AppClient | None, secret: str) -> AppClient:
        expected = client.secret_digest if client is not None else _DUMMY_DIGEST
        matches = hmac.compare_digest(token_digest(secret), expected)
        if client is None or not matches or not client.enabled:
            raise InvalidCredentials(_BAD_CLIENT)
        return client

    def _mint(self, client: AppClient) -> tuple[AppTokens, AppRefreshToken]:
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
        )
        return AppTokens(access_token, self._lifetimes.access_seconds, refresh_token), record


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
