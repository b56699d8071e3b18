"""Issue 16's counting rules on the login record: which count a device is held to, how the counts
stay bounded, and what clears them. (The handler tests drive the same rules end to end.)"""

from datetime import UTC, datetime, timedelta

from customer_auth.domain.logins.devices import UNKNOWN_DEVICE, Device
from customer_auth.domain.logins.lockout import FailureCount
from customer_auth.domain.logins.login import Login
from customer_auth.domain.tenants.policies import TRUSTED_KEPT, SignInPolicy
from customer_auth.store import items

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
USER = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
POLICY = SignInPolicy()


def _login() -> Login:
    return Login(
        tenant_id=100,
        account_id=1001,
        user_id=USER,
        username="ada@example.com",
        email="ada@example.com",
        password_hash="$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        password_is_external=False,
        created_at=NOW,
    )


def _device(name: str) -> Device:
    return Device.of(USER, name, None)


def _failed(login: Login, device: Device, times: int) -> Login:
    for _ in range(times):
        login = login.after_failure(device, NOW, POLICY)
    return login


def test_an_untrusted_fingerprint_shares_the_untrusted_count_and_a_trusted_one_has_its_own() -> None:
    laptop = _device("laptop")
    login = _failed(_login().trusting(laptop), _device("made-up"), POLICY.max_failed_attempts)

    assert login.is_locked_for(UNKNOWN_DEVICE, NOW)
    assert login.is_locked_for(_device("another made-up"), NOW)
    assert not login.is_locked_for(laptop, NOW)
    assert login.device_failures == ()

    login = _failed(login, laptop, POLICY.max_failed_attempts)
    assert login.is_locked_for(laptop, NOW)
    assert login.locked_trusted_devices(NOW) == 1
    assert login.failures_counted(NOW) == POLICY.max_failed_attempts
    assert not login.is_locked_for(laptop, NOW + timedelta(minutes=15))


def test_a_success_clears_only_the_count_it_was_held_to() -> None:
    laptop = _device("laptop")
    login = _failed(_login().trusting(laptop), UNKNOWN_DEVICE, 3)
    login = _failed(login, laptop, 3)

    after = login.after_sign_in(laptop, NOW, None)

    assert after.failures_of(laptop) == FailureCount()
    assert after.failures_counted(NOW) == 3
    assert after.device_failures == ()


def test_counts_are_kept_only_for_trusted_fingerprints_and_leave_with_them() -> None:
    first = _device("device-0")
    login = _login().trusting(first)
    login = _failed(login, first, 2)
    for n in range(1, TRUSTED_KEPT + 1):
        login = _failed(login.trusting(_device(f"device-{n}")), _device(f"device-{n}"), 1)

    assert first.fingerprint_digest not in login.trusted_fingerprint_digests
    assert len(login.device_failures) == TRUSTED_KEPT
    assert {d.fingerprint_digest for d in login.device_failures} == set(login.trusted_fingerprint_digests)


def test_recovery_and_an_operators_unlock_clear_both_kinds_but_recovery_keeps_an_operators_lock() -> None:
    laptop = _device("laptop")
    login = _failed(_failed(_login().trusting(laptop), UNKNOWN_DEVICE, 5), laptop, 5)

    recovered = login.locked(NOW, locked=True).recovered("$argon2id$new", NOW)
    assert (recovered.device_failures, recovered.failures_counted(NOW)) == ((), 0)
    assert recovered.is_locked_for(laptop, NOW)  # the operator's lock stays

    unlocked = login.locked(NOW, locked=False)
    assert not unlocked.is_locked_for(laptop, NOW)
    assert not unlocked.is_locked_for(UNKNOWN_DEVICE, NOW)
    assert unlocked.device_failures == ()


def test_the_counts_survive_the_store_and_keep_no_raw_fingerprint() -> None:
    laptop = _device("laptop-cookie-value")
    login = _failed(_failed(_login().trusting(laptop), UNKNOWN_DEVICE, 2), laptop, 5)

    item = items.login_item(login)

    assert items.login_from(item) == login
    assert "laptop-cookie-value" not in str(item)


def test_the_default_ceiling_is_15_minutes() -> None:
    assert [POLICY.lockout_for(n) for n in range(4)] == [15, 15, 15, 15]
    assert [SignInPolicy(max_lockout_minutes=60).lockout_for(n) for n in range(4)] == [15, 30, 60, 60]
