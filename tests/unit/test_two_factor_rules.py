"""Pure two-factor rules (issue 4): the tenant's policy, devices as a login remembers them, trusted
lists, the code's rate limit and life, the code itself, and how the store's items keep them."""

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from customer_auth.domain.codes.challenge import (
    CODE_LIFE,
    CODE_REQUEST_GAP,
    CODE_REQUESTS_PER_HOUR,
    CODE_TRIES,
    CodeChallenge,
)
from customer_auth.domain.logins.devices import Device
from customer_auth.domain.logins.login import Login
from customer_auth.domain.sessions.records import AwaitedSecondFactor, Session
from customer_auth.domain.signin import twofactor
from customer_auth.domain.tenants.policies import TRUSTED_KEPT, TwoFactorPolicy
from customer_auth.domain.tenants.tenant import Site, Tenant
from customer_auth.store import items

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
USER = "0123456789abcdef0123456789abcdef"


def _hmac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def _login(**changes: object) -> Login:
    fields: dict[str, object] = {
        "tenant_id": 100,
        "account_id": 1001,
        "user_id": USER,
        "username": "ada@example.com",
        "email": "ada@example.com",
        "password_hash": "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
        "password_is_external": False,
        "created_at": NOW,
    }
    return Login(**{**fields, **changes})  # type: ignore[arg-type]


# -- TwoFactorPolicy.asks -------------------------------------------------------------------------

OFF = TwoFactorPolicy()
ALWAYS = TwoFactorPolicy(always=True)
FINGERPRINT = TwoFactorPolicy(on_new_fingerprint=True)
REGION = TwoFactorPolicy(on_new_region=True)
BOTH = TwoFactorPolicy(on_new_fingerprint=True, on_new_region=True)


@pytest.mark.parametrize(
    ("policy", "knows_fingerprint", "knows_region", "asks"),
    [
        (OFF, False, False, False),
        (OFF, True, False, False),
        (OFF, False, True, False),
        (OFF, True, True, False),
        (ALWAYS, False, False, True),
        (ALWAYS, True, False, True),
        (ALWAYS, False, True, True),
        (ALWAYS, True, True, True),
        (FINGERPRINT, False, False, True),
        (FINGERPRINT, False, True, True),
        (FINGERPRINT, True, False, False),
        (FINGERPRINT, True, True, False),
        (REGION, False, False, True),
        (REGION, True, False, True),
        (REGION, False, True, False),
        (REGION, True, True, False),
        (BOTH, False, False, True),
        (BOTH, True, False, True),
        (BOTH, False, True, True),
        (BOTH, True, True, False),
    ],
)
def test_the_policy_asks_for_a_second_factor_exactly_when_a_chosen_setting_is_not_met(
    policy: TwoFactorPolicy, knows_fingerprint: bool, knows_region: bool, asks: bool
) -> None:
    assert policy.asks(knows_fingerprint=knows_fingerprint, knows_region=knows_region) is asks


def test_the_default_policy_is_off() -> None:
    assert TwoFactorPolicy() == TwoFactorPolicy(always=False, on_new_fingerprint=False, on_new_region=False)
    assert Tenant(id=1, name="t").two_factor_policy == OFF


# -- Device.of ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_empty_or_blank_values_name_no_fingerprint_and_no_region(value: str | None) -> None:
    assert Device.of(USER, value, value) == Device(None, None)


@pytest.mark.parametrize(
    ("given", "kept"), [("US", "us"), ("  de-AT ", "de-at"), ("STRASSE", "strasse"), ("Straße", "strasse")]
)
def test_a_region_is_kept_stripped_and_casefolded(given: str, kept: str) -> None:
    assert Device.of(USER, None, given).region == kept


def test_a_fingerprint_is_kept_only_as_an_hmac_keyed_by_the_user_id() -> None:
    device = Device.of(USER, "device-A", None)
    assert device.fingerprint_digest == _hmac(USER, "device-A")
    assert "device-A" not in repr(device)


def test_equal_fingerprints_of_two_users_are_kept_differently() -> None:
    other = "fedcba9876543210fedcba9876543210"
    mine, theirs = Device.of(USER, "shared-device", "US"), Device.of(other, "shared-device", "US")
    assert mine.fingerprint_digest != theirs.fingerprint_digest
    assert mine.region == theirs.region
    assert Device.of(USER, "shared-device", "us") == mine


def test_a_login_knows_a_device_only_by_what_it_trusts() -> None:
    login = _login().trusting(Device.of(USER, "device-A", "US"))
    assert login.knows_fingerprint(Device.of(USER, "device-A", None))
    assert not login.knows_fingerprint(Device.of(USER, "device-B", None))
    assert not login.knows_fingerprint(Device.of(USER, None, None))
    assert login.knows_region(Device.of(USER, None, " us "))
    assert not login.knows_region(Device.of(USER, None, "DE"))
    assert not login.knows_region(Device.of(USER, None, None))


# -- Login.trusting -------------------------------------------------------------------------------


def test_trusting_adds_the_device_newest_last() -> None:
    login = _login().trusting(Device("fp-1", "us")).trusting(Device("fp-2", "de"))
    assert login.trusted_fingerprint_digests == ("fp-1", "fp-2")
    assert login.trusted_regions == ("us", "de")


def test_trusting_a_device_without_fingerprint_or_region_keeps_the_lists() -> None:
    login = _login(trusted_fingerprint_digests=("fp-1",), trusted_regions=("us",))
    assert login.trusting(Device(None, None)) == login
    assert login.trusting(Device("fp-2", None)).trusted_regions == ("us",)
    assert login.trusting(Device(None, "de")).trusted_fingerprint_digests == ("fp-1",)


def test_trusting_again_moves_the_device_to_the_end_without_duplicates() -> None:
    login = _login(trusted_fingerprint_digests=("a", "b", "c"), trusted_regions=("us", "de", "fr"))
    again = login.trusting(Device("a", "us"))
    assert again.trusted_fingerprint_digests == ("b", "c", "a")
    assert again.trusted_regions == ("de", "fr", "us")
    assert again.trusting(Device("a", "us")) == again


def test_the_trusted_lists_keep_the_newest_ten_and_drop_the_oldest() -> None:
    assert TRUSTED_KEPT == 10
    login = _login()
    for n in range(TRUSTED_KEPT + 2):
        login = login.trusting(Device(f"fp-{n}", f"region-{n}"))
    assert login.trusted_fingerprint_digests == tuple(f"fp-{n}" for n in range(2, 12))
    assert login.trusted_regions == tuple(f"region-{n}" for n in range(2, 12))


def test_re_trusting_an_old_device_keeps_it_when_the_list_is_full() -> None:
    full = _login(trusted_fingerprint_digests=tuple(f"fp-{n}" for n in range(TRUSTED_KEPT)))
    changed = full.trusting(Device("fp-0", None)).trusting(Device("fp-new", None))
    assert changed.trusted_fingerprint_digests == (
        *(f"fp-{n}" for n in range(2, TRUSTED_KEPT)),
        "fp-0",
        "fp-new",
    )


def test_a_completed_second_factor_trusts_the_device_and_stamps_the_time() -> None:
    login = _login()
    passed = login.after_second_factor(Device("fp-B", "us"), NOW)
    assert passed.trusted_fingerprint_digests == ("fp-B",)
    assert passed.trusted_regions == ("us",)
    assert passed.last_2fa_at == NOW
    assert passed.last_login_at == NOW
    assert passed.version == login.version + 1


# -- CodeChallenge ---------------------------------------------------------------------------------


def _challenge() -> CodeChallenge:
    return CodeChallenge(tenant_id=100, account_id=1001)


def test_the_limits_are_thirty_seconds_apart_five_an_hour_three_tries_three_minutes() -> None:
    assert timedelta(seconds=30) == CODE_REQUEST_GAP
    assert CODE_REQUESTS_PER_HOUR == 5
    assert CODE_TRIES == 3
    assert timedelta(minutes=3) == CODE_LIFE


def test_a_login_that_never_asked_for_a_code_may_ask_now() -> None:
    assert _challenge().seconds_to_wait(NOW) == 0


@pytest.mark.parametrize(
    ("after", "wait"), [(0, 30), (10, 20), (29.5, 1), (29.999, 1), (30, 0), (31, 0), (3600, 0)]
)
def test_a_second_request_waits_for_thirty_seconds_after_the_last(after: float, wait: int) -> None:
    issued = _challenge().issued("sid-1", "digest", NOW)
    assert issued.seconds_to_wait(NOW + timedelta(seconds=after)) == wait


def _requested_at(*seconds: int) -> CodeChallenge:
    challenge = _challenge()
    for second in seconds:
        challenge = challenge.issued("sid-1", "digest", NOW + timedelta(seconds=second))
    return challenge


def test_the_sixth_request_in_an_hour_waits_until_the_first_is_an_hour_old() -> None:
    five = _requested_at(0, 60, 120, 180, 240)
    assert five.seconds_to_wait(NOW + timedelta(seconds=300)) == 3300
    assert five.seconds_to_wait(NOW + timedelta(seconds=3599)) == 1
    assert five.seconds_to_wait(NOW + timedelta(seconds=3600)) == 0


def test_four_requests_in_an_hour_leave_room_for_a_fifth() -> None:
    assert _requested_at(0, 60, 120, 180).seconds_to_wait(NOW + timedelta(seconds=210)) == 0


def test_the_hour_rolls_so_old_requests_stop_counting_and_are_forgotten() -> None:
    five = _requested_at(0, 900, 1800, 2700, 3000)
    # At 3600 the first request is an hour old: four count, the fifth may go.
    later = NOW + timedelta(seconds=3600)
    assert five.seconds_to_wait(later) == 0
    sixth = five.issued("sid-2", "digest-2", later)
    assert sixth.requested_at == tuple(NOW + timedelta(seconds=s) for s in (900, 1800, 2700, 3000, 3600))
    # Now five count again: the next waits until the one at 900 is an hour old.
    assert sixth.seconds_to_wait(later + timedelta(seconds=60)) == 900 + 3600 - 3660


def test_an_issued_code_belongs_to_its_session_for_three_minutes_and_three_tries() -> None:
    challenge = _challenge()
    issued = challenge.issued("sid-1", "digest-1", NOW)
    assert (issued.sid, issued.code_digest, issued.tries_left) == ("sid-1", "digest-1", 3)
    assert issued.code_expires_at == NOW + timedelta(minutes=3)
    assert issued.requested_at == (NOW,)
    assert issued.expires_at == NOW + timedelta(hours=1)
    assert issued.version == challenge.version + 1


def test_a_new_code_replaces_the_last_one() -> None:
    first = _challenge().issued("sid-1", "digest-1", NOW).after_wrong_try()
    second = first.issued("sid-2", "digest-2", NOW + timedelta(seconds=40))
    assert (second.sid, second.code_digest, second.tries_left) == ("sid-2", "digest-2", 3)
    assert not second.is_open_to("sid-1", NOW + timedelta(seconds=41))
    assert second.is_open_to("sid-2", NOW + timedelta(seconds=41))
    assert second.expires_at == NOW + timedelta(seconds=40, hours=1)


def test_a_code_is_open_until_its_expiry_and_not_at_it() -> None:
    issued = _challenge().issued("sid-1", "digest", NOW)
    expiry = NOW + CODE_LIFE
    assert issued.is_open_to("sid-1", NOW)
    assert issued.is_open_to("sid-1", expiry - timedelta(microseconds=1))
    assert not issued.is_open_to("sid-1", expiry)
    assert not issued.is_open_to("sid-1", expiry + timedelta(seconds=1))


def test_a_code_is_never_open_to_another_session() -> None:
    assert not _challenge().issued("sid-1", "digest", NOW).is_open_to("sid-2", NOW)


def test_nothing_is_open_before_a_code_is_issued() -> None:
    assert not _challenge().is_open_to("sid-1", NOW)


def test_each_wrong_try_spends_one_and_the_third_spends_the_code() -> None:
    issued = _challenge().issued("sid-1", "digest", NOW)
    once = issued.after_wrong_try()
    twice = once.after_wrong_try()
    thrice = twice.after_wrong_try()
    assert [c.tries_left for c in (once, twice, thrice)] == [2, 1, 0]
    assert once.is_open_to("sid-1", NOW)
    assert twice.is_open_to("sid-1", NOW)
    assert twice.code_digest == "digest"
    assert not thrice.is_open_to("sid-1", NOW)
    assert thrice.code_digest is None
    assert [c.version for c in (once, twice, thrice)] == [issued.version + n for n in (1, 2, 3)]


def test_a_used_code_is_spent_but_the_requests_still_count() -> None:
    issued = _challenge().issued("sid-1", "digest", NOW)
    used = issued.used()
    assert not used.is_open_to("sid-1", NOW)
    assert (used.code_digest, used.tries_left) == (None, 0)
    assert used.requested_at == issued.requested_at
    assert used.seconds_to_wait(NOW + timedelta(seconds=5)) == 25
    assert used.version == issued.version + 1


# -- the code ---------------------------------------------------------------------------------------


def test_codes_are_six_digit_strings() -> None:
    codes = {twofactor.new_code() for _ in range(500)}
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(codes) > 450


def test_codes_come_from_the_csprng_and_keep_their_leading_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[int] = []

    def randbelow(bound: int) -> int:
        drawn.append(bound)
        return 42

    monkeypatch.setattr(secrets, "randbelow", randbelow)
    assert twofactor.new_code() == "000042"
    assert drawn == [10**6]


def test_a_code_is_kept_as_an_hmac_keyed_by_the_session() -> None:
    assert twofactor.code_digest("sid-1", "123456") == _hmac("sid-1", "123456")
    assert twofactor.code_digest("sid-1", "123456") != twofactor.code_digest("sid-2", "123456")
    assert twofactor.code_digest("sid-1", "123456") != twofactor.code_digest("sid-1", "123457")


# -- items -------------------------------------------------------------------------------------------


def test_a_challenge_item_round_trips_with_its_key_and_ttl() -> None:
    challenge = _requested_at(0, 60).after_wrong_try()
    item = items.challenge_item(challenge)
    assert (item["pk"], item["sk"]) == ({"S": "ACCOUNT#100#1001"}, {"S": "CODE"})
    assert item["expiresAt"] == {"N": str(items.epoch(NOW + timedelta(seconds=60, hours=1)))}
    assert "123456" not in str(item)
    assert items.challenge_from(item) == challenge


def test_a_spent_challenge_item_round_trips_without_a_code() -> None:
    spent = _requested_at(0).used()
    item = items.challenge_item(spent)
    assert "codeDigest" not in item
    assert items.challenge_from(item) == spent


def test_a_waiting_session_item_round_trips_with_what_it_awaits() -> None:
    session = Session(
        sid="sid-1",
        tenant_id=100,
        site_id=200,
        account_id=1001,
        user_id=USER,
        client_id="storefront",
        created_at=NOW,
        access_token_digest="access-digest",
        access_expires_at=NOW + timedelta(minutes=15),
        refresh_expires_at=NOW + timedelta(minutes=15),
        awaiting=AwaitedSecondFactor(Device.of(USER, "device-B", " US "), refresh_minutes=43_200),
    )
    item = items.session_item(session)
    assert "device-B" not in str(item)
    back = items.session_from(item)
    assert back == session
    assert back.awaiting is not None
    assert back.awaiting.device == Device(_hmac(USER, "device-B"), "us")
    assert not back.is_complete()


@pytest.mark.parametrize("device", [Device(None, None), Device("fp", None), Device(None, "us")])
def test_a_waiting_session_without_fingerprint_or_region_round_trips(device: Device) -> None:
    session = Session(
        sid="sid-1",
        tenant_id=100,
        site_id=None,
        account_id=1001,
        user_id=USER,
        client_id="storefront",
        created_at=NOW,
        access_token_digest="access-digest",
        access_expires_at=NOW + timedelta(minutes=15),
        refresh_expires_at=NOW + timedelta(minutes=15),
        awaiting=AwaitedSecondFactor(device, refresh_minutes=60),
    )
    assert items.session_from(items.session_item(session)) == session


def test_a_full_session_item_round_trips_awaiting_nothing() -> None:
    session = Session(
        sid="sid-1",
        tenant_id=100,
        site_id=200,
        account_id=1001,
        user_id=USER,
        client_id="storefront",
        created_at=NOW,
        access_token_digest="access-digest",
        access_expires_at=NOW + timedelta(hours=1),
        refresh_expires_at=NOW + timedelta(days=30),
    )
    back = items.session_from(items.session_item(session))
    assert back == session
    assert back.is_complete()


@pytest.mark.parametrize("policy", [OFF, ALWAYS, FINGERPRINT, REGION, BOTH])
def test_a_tenant_item_round_trips_its_two_factor_policy(policy: TwoFactorPolicy) -> None:
    tenant = Tenant(id=100, name="Shop", sites=(Site(200, "Store"),), two_factor_policy=policy)
    item = items.tenant_item(tenant)
    assert items.from_item(item)["twoFactorPolicy"] == {
        "always": policy.always,
        "onNewFingerprint": policy.on_new_fingerprint,
        "onNewRegion": policy.on_new_region,
    }
    assert items.tenant_from(item) == tenant


def test_a_tenant_stored_before_two_factor_existed_reads_as_off() -> None:
    item = items.tenant_item(Tenant(id=100, name="Shop", two_factor_policy=BOTH))
    del item["twoFactorPolicy"]
    assert items.tenant_from(item).two_factor_policy == OFF


def test_the_seed_files_policy_names_left_out_are_off() -> None:
    assert items.two_factor_policy_from({"onNewRegion": True}) == REGION
    assert items.two_factor_policy_from({}) == OFF


def test_a_login_item_round_trips_its_trusted_devices_and_last_second_factor() -> None:
    login = _login().after_second_factor(Device.of(USER, "device-B", "US"), NOW + timedelta(microseconds=7))
    item = items.login_item(login)
    assert "device-B" not in str(item)
    back = items.login_from(item)
    assert back == login
    assert back.last_2fa_at == NOW + timedelta(microseconds=7)
    assert back.trusted_regions == ("us",)


def test_a_login_item_without_a_second_factor_round_trips_with_none() -> None:
    login = _login()
    item = items.login_item(login)
    assert "last2FaAt" not in item
    assert items.login_from(item).last_2fa_at is None
