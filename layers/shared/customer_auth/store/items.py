"""Item keys and codecs for the single table.

| item            | pk                          | sk               | TTL (expiresAt) | codec           |
|-----------------|-----------------------------|------------------|-----------------|-----------------|
| tenant          | TENANT#{tenant}             | TENANT           | no              | TENANT          |
| app client      | CLIENT#{clientId}           | CLIENT           | no              | CLIENT          |
| app refresh     | APPREFRESH#{sha256}         | APPREFRESH       | yes             | APP_REFRESH     |
| account         | ACCOUNT#{tenant}#{account}  | ACCOUNT          | no              | ACCOUNT         |
| login           | ACCOUNT#{tenant}#{account}  | LOGIN            | no              | LOGIN           |
| session         | ACCOUNT#{tenant}#{account}  | SESSION#{sid}    | yes             | SESSION         |
| anonymous sess. | ANON#{tenant}#{sid}         | SESSION#{sid}    | yes             | SESSION         |
| 2FA code        | ACCOUNT#{tenant}#{account}  | CODE             | yes             | CHALLENGE       |
| one-time code   | ACCOUNT#{tenant}#{account}  | CODE#{purpose}   | yes             | ONE_TIME_CODE   |
| login identifier| LOGINID#{tenant}#{nfkc-fold}| LOGINID          | no              | identifier_item |
| access token    | ACCESS#{sha256}             | ACCESS           | yes             | ACCESS          |
| refresh token   | REFRESH#{sha256}            | REFRESH          | yes             | REFRESH         |
| (never stored)  | LOGINID#{tenant}#{nfkc-fold}| NEVER            | -               | -               |
| mail sent       | MAILER#IDEMPOTENCY          | {function}#{md5} | yes             | (powertools)    |

Every key is spread by an id or a digest: no write path touches a shared hot item. The mailer's
idempotency records (written by powertools, not by this store) share one partition, each event
its own item.

Each record is stored by one declared ``Codec`` (``codec.py``): its fields under their camelCase
names, with only the exceptions listed below. A new field of a record needs no edit here unless its
stored name breaks the rule; a new record needs a key function above and one codec below.
"""

import json
from typing import Any

from ..domain.accounts.records import NO_ACCOUNT, StoredAccount
from ..domain.apps.records import AppClient, AppRefreshToken
from ..domain.codes.challenge import CodeChallenge
from ..domain.codes.records import OneTimeCode
from ..domain.logins.lockout import DeviceFailures
from ..domain.logins.login import Login
from ..domain.sessions.records import AccessToken, AwaitedSecondFactor, Session, SessionToken
from ..domain.tenants.mail import MailSettings
from ..domain.tenants.policies import SignInPolicy, TokenPolicy, TwoFactorPolicy
from ..domain.tenants.tenant import Tenant
from ..models.account import CustomerAccount
from .codec import TTL_ATTRIBUTE, Codec, Item, codec_of, epoch, from_item, nested, to_item

__all__ = ["TTL_ATTRIBUTE", "Codec", "Item", "epoch", "from_item", "to_item"]


def key(pk: str, sk: str) -> Item:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def tenant_key(tenant_id: int) -> Item:
    return key(f"TENANT#{tenant_id}", "TENANT")


def client_key(client_id: str) -> Item:
    return key(f"CLIENT#{client_id}", "CLIENT")


def app_refresh_key(digest: str) -> Item:
    return key(f"APPREFRESH#{digest}", "APPREFRESH")


def account_pk(tenant_id: int, account_id: int) -> str:
    return f"ACCOUNT#{tenant_id}#{account_id}"


def account_key(tenant_id: int, account_id: int) -> Item:
    return key(account_pk(tenant_id, account_id), "ACCOUNT")


def login_key(tenant_id: int, account_id: int) -> Item:
    return key(account_pk(tenant_id, account_id), "LOGIN")


def identifier_key(tenant_id: int, normalized: str) -> Item:
    return key(f"LOGINID#{tenant_id}#{normalized}", "LOGINID")


def session_key(tenant_id: int, account_id: int, sid: str) -> Item:
    """A customer's session lives with its account; an anonymous shopper's (account 0) under its
    own key, so millions of visitors never share a partition."""
    if account_id == NO_ACCOUNT:
        return key(f"ANON#{tenant_id}#{sid}", f"SESSION#{sid}")
    return key(account_pk(tenant_id, account_id), f"SESSION#{sid}")


def challenge_key(tenant_id: int, account_id: int) -> Item:
    return key(account_pk(tenant_id, account_id), "CODE")


def one_time_code_key(tenant_id: int, account_id: int, purpose: str) -> Item:
    return key(account_pk(tenant_id, account_id), f"CODE#{purpose}")


def access_key(digest: str) -> Item:
    return key(f"ACCESS#{digest}", "ACCESS")


def refresh_key(digest: str) -> Item:
    return key(f"REFRESH#{digest}", "REFRESH")


def never_stored_key(tenant_id: int, normalized: str) -> Item:
    """A key no item ever has, spread like the identifier it is named after: the target of
    writes whose condition must fail (timing parity), so a flood of them has no hot key."""
    return key(f"LOGINID#{tenant_id}#{normalized}", "NEVER")


def _document(account: CustomerAccount) -> str:
    # Kept as JSON text: exact (no float/Decimal conversion) and bounded by the request size
    # limit, far below DynamoDB's 400 KB item limit.
    return json.dumps(account.to_wire(), separators=(",", ":"))


# The records' codecs: each names only what its fields' camelCase names and types do not say.
TENANT = Codec(Tenant, kind="tenant", key=lambda t: tenant_key(t.id), names={"id": "tenantId"})
# Switches stored only when on: older tenants keep their layout.
nested(SignInPolicy, sparse={"passwordless_sign_in", "new_device_notice"})
CLIENT = Codec(AppClient, kind="client", key=lambda c: client_key(c.client_id))
APP_REFRESH = Codec(
    AppRefreshToken,
    kind="appRefresh",
    key=lambda t: app_refresh_key(t.digest),
    from_key={"digest": "APPREFRESH#"},
    sparse={"legacy_ticket"},  # stored only when true: the OAuth route's items keep their layout
)
ACCOUNT = Codec(
    StoredAccount,
    kind="account",
    key=lambda s: account_key(s.tenant_id, s.account.id),
    names={"account": "doc"},
    convert={"account": (_document, CustomerAccount.model_validate_json)},
)
LOGIN = Codec(
    Login,
    kind="login",
    key=lambda login: login_key(login.tenant_id, login.account_id),
    names={"trusted_fingerprint_digests": "trustedFingerprints", "last_2fa_at": "last2FaAt"},
    sparse={"device_failures", "password_change_required"},
)
nested(DeviceFailures, flat={"count"})
SESSION = Codec(
    Session,
    kind="session",
    key=lambda s: session_key(s.tenant_id, s.account_id, s.sid),
    names={"awaiting": "awaiting2Fa"},
)
nested(AwaitedSecondFactor, flat={"device"})
ACCESS = Codec(
    SessionToken, kind="accessToken", key=lambda t: access_key(t.digest), from_key={"digest": "ACCESS#"}
)
REFRESH = Codec(
    SessionToken, kind="refreshToken", key=lambda t: refresh_key(t.digest), from_key={"digest": "REFRESH#"}
)
CHALLENGE = Codec(CodeChallenge, kind="twoFactorCode", key=lambda c: challenge_key(c.tenant_id, c.account_id))
ONE_TIME_CODE = Codec(
    OneTimeCode,
    kind="oneTimeCode",
    key=lambda c: one_time_code_key(c.tenant_id, c.account_id, c.purpose),
    names={"digest": "codeDigest"},
)

tenant_item, tenant_from = TENANT.item, TENANT.record
client_item, client_from = CLIENT.item, CLIENT.record
app_refresh_item, app_refresh_from = APP_REFRESH.item, APP_REFRESH.record
stored_account_from = ACCOUNT.record
login_item, login_from = LOGIN.item, LOGIN.record
session_item, session_from = SESSION.item, SESSION.record
refresh_item, refresh_from = REFRESH.item, REFRESH.record
challenge_item, challenge_from = CHALLENGE.item, CHALLENGE.record
one_time_code_item, one_time_code_from = ONE_TIME_CODE.item, ONE_TIME_CODE.record


def account_item(tenant_id: int, account: CustomerAccount, version: int) -> Item:
    return ACCOUNT.item(StoredAccount(tenant_id, account, version), accountId=account.id)


def access_item(session: Session) -> Item:
    """An access token's item: the token, and the user it was minted for."""
    token = AccessToken(
        session.access_token_digest,
        session.sid,
        session.tenant_id,
        session.account_id,
        session.access_expires_at,
    )
    return ACCESS.item(token, userId=session.user_id)


def access_from(item: Item) -> AccessToken:
    return ACCESS.record(item)


def identifier_item(login: Login, normalized: str, field: str) -> Item:
    return to_item(
        identifier_key(login.tenant_id, normalized),
        kind="loginIdentifier",
        tenantId=login.tenant_id,
        accountId=login.account_id,
        userId=login.user_id,
        field=field,
    )


def identifier_account_id(item: Item) -> int:
    return int(from_item(item)["accountId"])


Policy = TokenPolicy | SignInPolicy | TwoFactorPolicy | MailSettings


def policy_json(policy: Policy) -> dict[str, Any]:
    """A tenant's policy as the stored item and the operator's seed file name it."""
    return codec_of(type(policy)).attributes(policy)


def token_policy_from(data: dict[str, Any]) -> TokenPolicy:
    """A token policy from its JSON; names left out keep their defaults."""
    return codec_of(TokenPolicy).read(data)


def sign_in_policy_from(data: dict[str, Any]) -> SignInPolicy:
    """A sign-in policy from its JSON; names left out keep their defaults."""
    return codec_of(SignInPolicy).read(data)


def two_factor_policy_from(data: dict[str, Any]) -> TwoFactorPolicy:
    """A two-factor policy from its JSON; names left out are off."""
    return codec_of(TwoFactorPolicy).read(data)


def mail_settings_from(data: dict[str, Any]) -> MailSettings:
    """A tenant's mail settings from their JSON (``sender``, ``shopName``, ``linkBase``,
    ``locale``); names left out take their defaults."""
    return codec_of(MailSettings).read(data)
