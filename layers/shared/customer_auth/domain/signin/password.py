"""Sign-in (docs/contract.md §7): one answer for every failure, lockout, transparent re-hashing, and
the second factor the tenant's policy asks for."""

from collections.abc import Callable

from ...models.auth import CustomerAuthTicket, CustomerUserAuthInfo
from ..accounts.records import NO_ACCOUNT, account_in_step
from ..credentials.passwords import PasswordCheck, PasswordHasher
from ..kernel.behaviors import Behavior
from ..kernel.caller import Caller
from ..kernel.clock import Clock
from ..kernel.errors import InvalidCredentials, InvalidParameter, PasswordChangeRequired
from ..kernel.identifiers import normalize_identifier
from ..kernel.outbox import EventOutbox
from ..kernel.retry import Retry
from ..logins.devices import Device
from ..logins.login import Login
from ..logins.notices import new_device_sign_in, send_notice
from ..sessions.starter import SessionGrant, SessionStarter
from ..tenants.policies import TwoFactorPolicy
from ..tenants.tenant import usable_tenant
from .ports import SignInStore


def refused() -> InvalidCredentials:
    """The one answer for an unknown user, a wrong password and a locked login."""
    return InvalidCredentials("The username or password is not valid.")


class SignInService:
    def __init__(
        self,
        store: SignInStore,
        hasher: PasswordHasher,
        sessions: SessionStarter,
        clock: Clock,
        outbox: Callable[[], EventOutbox] | None = None,
    ) -> None:
        self._store = store
        self._hasher = hasher
        self._sessions = sessions
        self._clock = clock
        self._outbox = outbox
        """Where ``NewDeviceSignIn`` notices go, when the tenant asks for them (built on first use)."""

    def sign_in(self, caller: Caller, site_id: int | None, info: CustomerUserAuthInfo) -> CustomerAuthTicket:
        if info.auth_ticket_ttl_minutes is not None or info.refresh_token_ttl_minutes is not None:
            caller.require(Behavior.CONFIGURE_TOKEN_DURATIONS)
        if not info.username:
            raise InvalidParameter("username is required.", field="username")
        if info.password is None:
            raise InvalidParameter("password is required.", field="password")
        check = PasswordCheck(self._hasher, info.password)
        identifier = normalize_identifier(info.username)
        # The tenant comes with the identifier; the login's reads below leave it out.
        account_id, tenant = self._store.identify(caller.tenant_id, identifier)
        tenant = usable_tenant(tenant, site_id)
        access_minutes = tenant.token_policy.access_minutes(info.auth_ticket_ttl_minutes)
        refresh_minutes = tenant.token_policy.refresh_minutes(info.refresh_token_ttl_minutes)
        if account_id is None or info.account_id not in (None, account_id):
            # An unknown user costs what a wrong password costs: the same reads, a hash
            # verification and a write (one that cannot succeed), so timing tells them not apart.
            self._store.load_login(caller.tenant_id, NO_ACCOUNT, with_tenant=False)
            check.burn()
            raise self._refused_at_the_cost_of_a_write(caller.tenant_id, identifier)

        retry = Retry(tenant.sign_in_policy.login_write_rounds())
        while True:
            with retry:
                context = self._store.load_login(caller.tenant_id, account_id, with_tenant=False)
                login, stored = context.login, context.account
                if login is None or stored is None:
                    check.burn()
                    raise self._refused_at_the_cost_of_a_write(caller.tenant_id, identifier)
                matched = check.matches(login)
                now = self._clock()
                # A trusted fingerprint is held to its own count, every other client to one they share,
                # so an attacker locking out unknown devices leaves the customer's own devices working.
                device = Device.of(login.user_id, info.fingerprint, info.region)
                if login.is_locked_for(device, now):
                    # Failures during a lock are not counted, so an attacker cannot lengthen it.
                    raise self._refused_at_the_cost_of_a_write(caller.tenant_id, identifier)
                if not matched:
                    self._store.replace_login(login, login.after_failure(device, now, tenant.sign_in_policy))
                    raise refused()
                if login.password_change_required:
                    # Only the password's holder learns of the flag; nothing is issued or counted.
                    raise PasswordChangeRequired("The password must be changed before signing in.")

                waits = _asks_second_factor(tenant.two_factor_policy, login, device)
                after = login.after_sign_in(device, now, check.upgraded_hash(login), complete=not waits)
                if not waits:
                    # A device that proved the password and passed what the policy asks is trusted, so it
                    # gets its own lockout count from now on (a waiting one is trusted by its code).
                    after = after.trusting(device)
                change = account_in_step(stored, after, now)
                account = change.after if change else stored.account
                grant = SessionGrant.signing_in(
                    caller, site_id, after, access_minutes=access_minutes, refresh_minutes=refresh_minutes
                )
                if waits:
                    waiting = self._sessions.start_waiting(grant, device, now)
                    self._store.start_session(login, after, waiting.session, None, change)
                    return waiting.ticket(account)
                started = self._sessions.start(grant, now)
                self._store.start_session(login, after, started.session, started.refresh_record, change)
                if tenant.sign_in_policy.new_device_notice:
                    notice = new_device_sign_in(login, site_id, device, info.region, now)
                    send_notice(self._outbox, notice)
                return started.ticket(account)

    def _refused_at_the_cost_of_a_write(self, tenant_id: int, identifier: str) -> InvalidCredentials:
        self._store.spend_refused_write(tenant_id, identifier)
        return refused()


def _asks_second_factor(policy: TwoFactorPolicy, login: Login, device: Device) -> bool:
    return policy.asks(
        knows_fingerprint=login.knows_fingerprint(device), knows_region=login.knows_region(device)
    )
