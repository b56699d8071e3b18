"""Item keys and codecs for the single table.

| item            | pk                          | sk               | TTL (expiresAt) |
|-----------------|-----------------------------|------------------|-----------------|
| tenant          | TENANT#{tenant}             | TENANT           | no              |
| app client      | CLIENT#{clientId}           | CLIENT           | no              |
| app refresh     | APPREFRESH#{sha256}         | APPREFRESH       | yes             |
| account         | ACCOUNT#{tenant}#{account}  | ACCOUNT          | no              |
| login           | ACCOUNT#{tenant}#{account}  | LOGIN            | no              |
| session         | ACCOUNT#{tenant}#{account}  | SESSION#{sid}    | yes             |
| anonymous sess. | ANON#{tenant}#{sid}         | SESSION#{sid}    | yes             |
| 2FA code        | ACCOUNT#{tenant}#{account}  | CODE             | yes             |
| one-time code   | ACCOUNT#{tenant}#{account}  | CODE#{purpose}   | yes             |
| login identifier| LOGINID#{tenant}#{nfkc-fold}| LOGINID          | no              |
| access token    | ACCESS#{sha256}             | ACCESS           | yes             |
| refresh token   | REFRESH#{sha256}            | REFRESH          | yes             |
| (never stored)  | LOGINID#{tenant}#{nfkc-fold}| NEVER            | -               |

Every key is spread by an id or a digest: no write path touches a shared hot item.
"""

import json
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from ..domain.codes import OneTimeCode
from ..domain.records import (
    AccessToken,
    AppClient,
    AppRefreshToken,
    AwaitedSecondFactor,
    CodeChallenge,
    Device,
    DeviceFailures,
    FailureCount,
    Login,
    RefreshToken,
    Session,
    SessionToken,
    StoredAccount,
)
from ..domain.tenants import SignInPolicy, Site, Tenant, TokenPolicy, TwoFactorPolicy
from ..models.account import CustomerAccount

Item = dict[str, Any]
"""An item in DynamoDB's attribute-value wire format."""

TTL_ATTRIBUTE = "expiresAt"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


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
    if account_id == 0:
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


def to_item(item_key: Item, **attributes: Any) -> Item:
    """A whole item: its key plus attributes serialized (``None`` values are left out)."""
    encoded = {name: _serializer.serialize(value) for name, value in attributes.items() if value is not None}
    return {**item_key, **encoded}


def from_item(item: Item) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _required_moment(value: Any) -> datetime:
    return datetime.fromisoformat(value)


def _from_epoch(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


_TOKEN_POLICY = {
    "accessDefaultMinutes": "access_default_minutes",
    "accessMaxMinutes": "access_max_minutes",
    "refreshDefaultMinutes": "refresh_default_minutes",
    "refreshMaxMinutes": "refresh_max_minutes",
}
_SIGN_IN_POLICY = {
    "maxFailedAttempts": "max_failed_attempts",
    "lockoutMinutes": "lockout_minutes",
    "maxLockoutMinutes": "max_lockout_minutes",
    "refreshGraceSeconds": "refresh_grace_seconds",
    "requireLetterAndDigit": "require_letter_and_digit",
    "passwordResetMinutes": "password_reset_minutes",
    "passwordlessSignIn": "passwordless_sign_in",
}
_TWO_FACTOR_POLICY = {
    "always": "always",
    "onNewFingerprint": "on_new_fingerprint",
    "onNewRegion": "on_new_region",
}
"""The JSON names of a tenant's policies, shared by the stored item and the operator's seed file."""

Policy = TokenPolicy | SignInPolicy | TwoFactorPolicy
_POLICY_NAMES: dict[type[Policy], dict[str, str]] = {
    TokenPolicy: _TOKEN_POLICY,
    SignInPolicy: _SIGN_IN_POLICY,
    TwoFactorPolicy: _TWO_FACTOR_POLICY,
}


def policy_json(policy: Policy) -> dict[str, Any]:
    return {name: getattr(policy, attribute) for name, attribute in _POLICY_NAMES[type(policy)].items()}


def token_policy_from(data: dict[str, Any]) -> TokenPolicy:
    """A token policy from its JSON; names left out keep their defaults."""
    return _policy_from(TokenPolicy, _TOKEN_POLICY, data)


def sign_in_policy_from(data: dict[str, Any]) -> SignInPolicy:
    """A sign-in policy from its JSON; names left out keep their defaults."""
    return _policy_from(SignInPolicy, _SIGN_IN_POLICY, data)


def two_factor_policy_from(data: dict[str, Any]) -> TwoFactorPolicy:
    """A two-factor policy from its JSON; names left out are off."""
    return _policy_from(TwoFactorPolicy, _TWO_FACTOR_POLICY, data)


def _policy_from[P: (TokenPolicy, SignInPolicy, TwoFactorPolicy)](
    kind: type[P], names: dict[str, str], data: dict[str, Any]
) -> P:
    # Each value takes its default's type: DynamoDB numbers arrive as Decimal, seed files as JSON.
    default = kind()
    return kind(**{a: type(getattr(default, a))(data[name]) for name, a in names.items() if name in data})


def tenant_item(tenant: Tenant) -> Item:
    return to_item(
        tenant_key(tenant.id),
        kind="tenant",
        tenantId=tenant.id,
        name=tenant.name,
        domain=tenant.domain,
        sites=[
            {"id": s.id, "name": s.name, **({"domain": s.domain} if s.domain else {})} for s in tenant.sites
        ],
        tokenPolicy=policy_json(tenant.token_policy),
        signInPolicy=policy_json(tenant.sign_in_policy),
        twoFactorPolicy=policy_json(tenant.two_factor_policy),
    )


def tenant_from(item: Item) -> Tenant:
    data = from_item(item)
    return Tenant(
        id=int(data["tenantId"]),
        name=data["name"],
        domain=data.get("domain"),
        sites=tuple(Site(id=int(s["id"]), name=s["name"], domain=s.get("domain")) for s in data["sites"]),
        token_policy=token_policy_from(data["tokenPolicy"]),
        sign_in_policy=sign_in_policy_from(data.get("signInPolicy", {})),
        two_factor_policy=two_factor_policy_from(data.get("twoFactorPolicy", {})),
    )


def client_item(client: AppClient) -> Item:
    return to_item(
        client_key(client.client_id),
        kind="client",
        clientId=client.client_id,
        name=client.name,
        tenantId=client.tenant_id,
        siteId=client.site_id,
        behaviors=sorted(client.behaviors),
        secretDigest=client.secret_digest,
        enabled=client.enabled,
    )


def client_from(item: Item) -> AppClient:
    data = from_item(item)
    return AppClient(
        client_id=data["clientId"],
        name=data["name"],
        tenant_id=int(data["tenantId"]),
        site_id=int(data["siteId"]) if "siteId" in data else None,
        behaviors=frozenset(data["behaviors"]),
        secret_digest=data["secretDigest"],
        enabled=bool(data["enabled"]),
    )


def app_refresh_item(token: AppRefreshToken) -> Item:
    return to_item(
        app_refresh_key(token.digest),
        kind="appRefresh",
        clientId=token.client_id,
        **{TTL_ATTRIBUTE: epoch(token.expires_at)},
    )


def app_refresh_from(item: Item) -> AppRefreshToken:
    data = from_item(item)
    return AppRefreshToken(
        digest=data["pk"].removeprefix("APPREFRESH#"),
        client_id=data["clientId"],
        expires_at=_from_epoch(data[TTL_ATTRIBUTE]),
    )


def account_item(tenant_id: int, account: CustomerAccount, version: int) -> Item:
    # The document is kept as JSON text: exact (no float/Decimal conversion) and bounded by
    # the request size limit, far below DynamoDB's 400 KB item limit.
    return to_item(
        account_key(tenant_id, account.id),
        kind="account",
        tenantId=tenant_id,
        accountId=account.id,
        version=version,
        doc=json.dumps(account.to_wire(), separators=(",", ":")),
    )


def stored_account_from(item: Item) -> StoredAccount:
    data = from_item(item)
    return StoredAccount(
        tenant_id=int(data["tenantId"]),
        account=CustomerAccount.model_validate_json(data["doc"]),
        version=int(data["version"]),
    )


def login_item(login: Login) -> Item:
    return to_item(
        login_key(login.tenant_id, login.account_id),
        kind="login",
        tenantId=login.tenant_id,
        accountId=login.account_id,
        userId=login.user_id,
        username=login.username,
        email=login.email,
        passwordHash=login.password_hash,
        passwordIsExternal=login.password_is_external,
        createdAt=iso(login.created_at),
        trustedFingerprints=list(login.trusted_fingerprint_digests),
        trustedRegions=list(login.trusted_regions),
        version=login.version,
        generation=login.generation,
        failedAttempts=login.failed_attempts,
        firstFailedAt=iso(login.first_failed_at),
        locks=login.locks,
        lockedUntil=iso(login.locked_until),
        lockedByOperator=login.locked_by_operator,
        deviceFailures=[_device_failures_item(d) for d in login.device_failures] or None,
        lastLockedAt=iso(login.last_locked_at),
        lastLoginAt=iso(login.last_login_at),
        passwordChangedAt=iso(login.password_changed_at),
        updatedAt=iso(login.updated_at),
        last2FaAt=iso(login.last_2fa_at),
        passwordChangeRequired=login.password_change_required or None,
        deletedAt=iso(login.deleted_at),
    )


def login_from(item: Item) -> Login:
    data = from_item(item)
    return Login(
        tenant_id=int(data["tenantId"]),
        account_id=int(data["accountId"]),
        user_id=data["userId"],
        username=data["username"],
        email=data.get("email"),
        password_hash=data["passwordHash"],
        password_is_external=bool(data["passwordIsExternal"]),
        created_at=_required_moment(data["createdAt"]),
        trusted_fingerprint_digests=tuple(data.get("trustedFingerprints", ())),
        trusted_regions=tuple(data.get("trustedRegions", ())),
        version=int(data["version"]),
        generation=int(data["generation"]),
        failed_attempts=int(data["failedAttempts"]),
        first_failed_at=_moment(data.get("firstFailedAt")),
        locks=int(data["locks"]),
        locked_until=_moment(data.get("lockedUntil")),
        locked_by_operator=bool(data["lockedByOperator"]),
        device_failures=tuple(_device_failures_from(d) for d in data.get("deviceFailures", ())),
        last_locked_at=_moment(data.get("lastLockedAt")),
        last_login_at=_moment(data.get("lastLoginAt")),
        password_changed_at=_moment(data.get("passwordChangedAt")),
        updated_at=_moment(data.get("updatedAt")),
        last_2fa_at=_moment(data.get("last2FaAt")),
        password_change_required=bool(data.get("passwordChangeRequired", False)),
        deleted_at=_moment(data.get("deletedAt")),
    )


def _device_failures_item(kept: DeviceFailures) -> dict[str, Any]:
    count = kept.count
    encoded = {
        "fingerprintDigest": kept.fingerprint_digest,
        "failedAttempts": count.failed_attempts,
        "firstFailedAt": iso(count.first_failed_at),
        "locks": count.locks,
        "lockedUntil": iso(count.locked_until),
    }
    return {name: value for name, value in encoded.items() if value is not None}


def _device_failures_from(data: dict[str, Any]) -> DeviceFailures:
    return DeviceFailures(
        data["fingerprintDigest"],
        FailureCount(
            failed_attempts=int(data["failedAttempts"]),
            first_failed_at=_moment(data.get("firstFailedAt")),
            locks=int(data["locks"]),
            locked_until=_moment(data.get("lockedUntil")),
        ),
    )


def identifier_account_id(item: Item) -> int:
    return int(from_item(item)["accountId"])


def identifier_item(login: Login, normalized: str, field: str) -> Item:
    return to_item(
        identifier_key(login.tenant_id, normalized),
        kind="loginIdentifier",
        tenantId=login.tenant_id,
        accountId=login.account_id,
        userId=login.user_id,
        field=field,
    )


def session_item(session: Session) -> Item:
    return to_item(
        session_key(session.tenant_id, session.account_id, session.sid),
        kind="session",
        sid=session.sid,
        tenantId=session.tenant_id,
        siteId=session.site_id,
        accountId=session.account_id,
        userId=session.user_id,
        clientId=session.client_id,
        createdAt=iso(session.created_at),
        accessTokenDigest=session.access_token_digest,
        accessExpiresAt=iso(session.access_expires_at),
        refreshExpiresAt=iso(session.refresh_expires_at),
        generation=session.generation,
        accessMinutes=session.access_minutes,
        headDigest=session.head_digest,
        parentDigest=session.parent_digest,
        rotatedAt=iso(session.rotated_at),
        sealedHead=session.sealed_head,
        version=session.version,
        awaiting2Fa=_awaited_json(session.awaiting),
        **{TTL_ATTRIBUTE: epoch(session.refresh_expires_at)},
    )


def _awaited_json(awaited: AwaitedSecondFactor | None) -> dict[str, Any] | None:
    if awaited is None:
        return None
    device = {"fingerprintDigest": awaited.device.fingerprint_digest, "region": awaited.device.region}
    return {"refreshMinutes": awaited.refresh_minutes, **{k: v for k, v in device.items() if v is not None}}


def _awaited_from(data: dict[str, Any] | None) -> AwaitedSecondFactor | None:
    if data is None:
        return None
    return AwaitedSecondFactor(
        device=Device(data.get("fingerprintDigest"), data.get("region")),
        refresh_minutes=int(data["refreshMinutes"]),
    )


def session_from(item: Item) -> Session:
    data = from_item(item)
    return Session(
        sid=data["sid"],
        tenant_id=int(data["tenantId"]),
        site_id=int(data["siteId"]) if "siteId" in data else None,
        account_id=int(data["accountId"]),
        user_id=data["userId"],
        client_id=data["clientId"],
        created_at=_required_moment(data["createdAt"]),
        access_token_digest=data["accessTokenDigest"],
        access_expires_at=_required_moment(data["accessExpiresAt"]),
        refresh_expires_at=_required_moment(data["refreshExpiresAt"]),
        generation=int(data["generation"]),
        access_minutes=int(data["accessMinutes"]),
        head_digest=data["headDigest"],
        parent_digest=data.get("parentDigest"),
        rotated_at=_moment(data.get("rotatedAt")),
        sealed_head=data.get("sealedHead"),
        version=int(data["version"]),
        awaiting=_awaited_from(data.get("awaiting2Fa")),
    )


def access_item(session: Session) -> Item:
    return to_item(
        access_key(session.access_token_digest),
        kind="accessToken",
        sid=session.sid,
        tenantId=session.tenant_id,
        accountId=session.account_id,
        userId=session.user_id,
        **{TTL_ATTRIBUTE: epoch(session.access_expires_at)},
    )


def access_from(item: Item) -> AccessToken:
    return _session_token_from(item, "ACCESS#")


def refresh_item(token: RefreshToken) -> Item:
    return to_item(
        refresh_key(token.digest),
        kind="refreshToken",
        sid=token.sid,
        tenantId=token.tenant_id,
        accountId=token.account_id,
        **{TTL_ATTRIBUTE: epoch(token.expires_at)},
    )


def refresh_from(item: Item) -> RefreshToken:
    return _session_token_from(item, "REFRESH#")


def _session_token_from(item: Item, prefix: str) -> SessionToken:
    data = from_item(item)
    return SessionToken(
        digest=data["pk"].removeprefix(prefix),
        sid=data["sid"],
        tenant_id=int(data["tenantId"]),
        account_id=int(data["accountId"]),
        expires_at=_from_epoch(data[TTL_ATTRIBUTE]),
    )


def challenge_item(challenge: CodeChallenge) -> Item:
    expires_at = challenge.expires_at
    return to_item(
        challenge_key(challenge.tenant_id, challenge.account_id),
        kind="twoFactorCode",
        tenantId=challenge.tenant_id,
        accountId=challenge.account_id,
        sid=challenge.sid,
        codeDigest=challenge.code_digest,
        codeExpiresAt=iso(challenge.code_expires_at),
        triesLeft=challenge.tries_left,
        requestedAt=[iso(t) for t in challenge.requested_at],
        version=challenge.version,
        **({TTL_ATTRIBUTE: epoch(expires_at)} if expires_at else {}),
    )


def challenge_from(item: Item) -> CodeChallenge:
    data = from_item(item)
    return CodeChallenge(
        tenant_id=int(data["tenantId"]),
        account_id=int(data["accountId"]),
        sid=data.get("sid"),
        code_digest=data.get("codeDigest"),
        code_expires_at=_moment(data.get("codeExpiresAt")),
        tries_left=int(data["triesLeft"]),
        requested_at=tuple(_required_moment(t) for t in data.get("requestedAt", ())),
        version=int(data["version"]),
    )


def one_time_code_item(code: OneTimeCode) -> Item:
    expires_at = code.expires_at
    return to_item(
        one_time_code_key(code.tenant_id, code.account_id, code.purpose),
        kind="oneTimeCode",
        tenantId=code.tenant_id,
        accountId=code.account_id,
        purpose=code.purpose,
        codeDigest=code.digest,
        codeExpiresAt=iso(code.code_expires_at),
        triesLeft=code.tries_left,
        requestedAt=[iso(t) for t in code.requested_at],
        version=code.version,
        **({TTL_ATTRIBUTE: epoch(expires_at)} if expires_at else {}),
    )


def one_time_code_from(item: Item) -> OneTimeCode:
    data = from_item(item)
    return OneTimeCode(
        tenant_id=int(data["tenantId"]),
        account_id=int(data["accountId"]),
        purpose=data["purpose"],
        digest=data.get("codeDigest"),
        code_expires_at=_moment(data.get("codeExpiresAt")),
        tries_left=int(data["triesLeft"]),
        requested_at=tuple(_required_moment(t) for t in data.get("requestedAt", ())),
        version=int(data["version"]),
    )
