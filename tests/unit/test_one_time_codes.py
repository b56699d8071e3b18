"""One live code per login and purpose (domain/codes.py): its life, tries, rate limit and TTL."""

from datetime import UTC, datetime, timedelta

from customer_auth.domain.codes.records import CodeRules, OneTimeCode, long_code_digest, new_long_code

RULES = CodeRules(life=timedelta(minutes=60), tries=5, gap=timedelta(minutes=1), per_hour=5)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def issued(code: str = "a-code", at: datetime = NOW, before: OneTimeCode | None = None) -> OneTimeCode:
    return (before or OneTimeCode(100, 7, "RESET")).issued(long_code_digest(code), at, RULES)


def test_codes_are_256_url_safe_bits_and_never_repeat() -> None:
    codes = {new_long_code() for _ in range(1000)}
    assert len(codes) == 1000
    assert all(len(c) == 43 and c.replace("-", "").replace("_", "").isalnum() for c in codes)


def test_a_code_matches_only_itself_while_open() -> None:
    code = issued("right")
    assert code.is_open(NOW)
    assert code.matches("right")
    assert not code.matches("wrong")
    assert not code.matches("")
    assert not code.is_open(NOW + timedelta(minutes=60))
    assert not code.used().is_open(NOW)
    assert not code.used().matches("right")


def test_the_last_wrong_try_spends_the_code() -> None:
    code = issued()
    for _ in range(4):
        code = code.after_wrong_try()
        assert code.is_open(NOW)
    spent = code.after_wrong_try()
    assert not spent.is_open(NOW)
    assert spent.digest is None
    assert spent.version == code.version + 1


def test_one_code_a_minute_and_five_an_hour() -> None:
    code = issued()
    assert code.seconds_to_wait(NOW + timedelta(seconds=10), RULES) == 50
    for minute in range(1, 5):
        assert code.seconds_to_wait(NOW + timedelta(minutes=minute), RULES) == 0
        code = issued(at=NOW + timedelta(minutes=minute), before=code)
    assert code.seconds_to_wait(NOW + timedelta(minutes=10), RULES) == 50 * 60
    assert code.seconds_to_wait(NOW + timedelta(minutes=60), RULES) == 0


def test_the_item_lives_while_the_code_or_the_limit_needs_it() -> None:
    assert OneTimeCode(100, 7, "RESET").expires_at is None
    short = CodeRules(life=timedelta(minutes=5), tries=5, gap=timedelta(minutes=1), per_hour=5)
    assert OneTimeCode(100, 7, "RESET").issued("d", NOW, short).expires_at == NOW + timedelta(hours=1)
    long = CodeRules(life=timedelta(hours=3), tries=5, gap=timedelta(minutes=1), per_hour=5)
    assert OneTimeCode(100, 7, "RESET").issued("d", NOW, long).expires_at == NOW + timedelta(hours=3)


def test_the_digest_keeps_nothing_of_the_code() -> None:
    code = new_long_code()
    digest = long_code_digest(code)
    assert code not in digest
    assert len(digest) == 64
    assert repr(issued(code)).count(digest) == 0
