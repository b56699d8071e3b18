"""The session a shopper's opaque ``accessToken`` names: how every route that takes one in
``x-vol-user-claims`` finds it and decides it is still good."""

from dataclasses import dataclass
from datetime import datetime

from ...tokens.opaque import session_locator, token_digest
from ..accounts.records import StoredAccount
from ..codes.challenge import CodeChallenge
from ..kernel.caller import Caller
from ..logins.login import Login
from .ports import SessionReader
from .records import Session


@dataclass(frozen=True, slots=True)
class LiveSession:
    session: Session
    login: Login
    account: StoredAccount
    challenge: CodeChallenge | None = None
    """The login's 2FA code, when it was asked for."""


def live_session(
    store: SessionReader, caller: Caller, access_token: str, now: datetime, *, with_challenge: bool = False
) -> LiveSession | None:
    """The live session ``access_token`` names in the caller's tenant and within its site, read in
    one round trip; ``None`` for a malformed, altered, foreign, expired or revoked token. Complete
    or still waiting for its second factor: each route says which it accepts."""
    locator = session_locator(access_token)
    if locator is None or locator.tenant_id != caller.tenant_id:
        return None
    context = store.load_session(
        locator, access_digest=token_digest(access_token), with_tenant=False, with_challenge=with_challenge
    )
    access, session, login, account = context.access_token, context.session, context.login, context.account
    if access is None or access.sid != locator.sid or now >= access.expires_at:
        return None
    if session is None or login is None or account is None or not session.is_live(login, now):
        return None
    if not caller.acts_on_site_of(session.site_id):
        return None
    return LiveSession(session, login, account, context.challenge)
