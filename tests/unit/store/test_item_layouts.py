"""The codec reads the items the hand-written codecs wrote and writes them again byte for byte.

``fixtures/items.json`` was captured from the codecs before they became one declared codec; a
changed stored name, a new attribute or a lost one fails here before it reaches a table.
"""

import json
from dataclasses import replace
from typing import Any

import pytest

from customer_auth.domain.sessions.records import SessionToken
from customer_auth.store import items
from tests.unit.store.fixtures.capture import FIXTURES, encode
from tests.unit.store.fixtures.samples import SAMPLES

CAPTURED: dict[str, items.Item] = json.loads(FIXTURES.read_text())


def _decode(kind: str, item: items.Item) -> Any:
    decoder = {"account": items.stored_account_from, "access": items.access_from}.get(kind)
    return (decoder or getattr(items, f"{kind}_from"))(item)


def test_every_sample_has_its_captured_item() -> None:
    assert sorted(CAPTURED) == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_a_record_is_written_as_it_was_captured(name: str) -> None:
    kind, record = SAMPLES[name]

    written = encode(kind, record)

    assert set(written) == set(CAPTURED[name])
    assert written == CAPTURED[name]


@pytest.mark.parametrize(
    "name", sorted(n for n, (kind, _) in SAMPLES.items() if kind not in {"identifier", "access"})
)
def test_a_captured_item_reads_back_to_its_record_and_writes_again_unchanged(name: str) -> None:
    kind, record = SAMPLES[name]

    read = _decode(kind, CAPTURED[name])

    assert read == record
    assert encode(kind, read) == CAPTURED[name]


def test_an_access_token_item_reads_as_the_token_it_names() -> None:
    session = SAMPLES["access"][1]

    read = items.access_from(CAPTURED["access"])

    assert read == SessionToken(
        session.access_token_digest,
        session.sid,
        session.tenant_id,
        session.account_id,
        session.access_expires_at,
    )


@pytest.mark.parametrize("name", ["identifier-email", "identifier-username"])
def test_an_identifier_item_reads_as_the_account_it_names(name: str) -> None:
    login = SAMPLES[name][1][0]

    assert items.identifier_account_id(CAPTURED[name]) == login.account_id


def test_a_tenant_stores_the_passwordless_switch_only_when_it_is_on() -> None:
    """Added after the capture (passwordless sign-in): a tenant without it keeps the captured
    layout above, and one with it on gains one attribute in its sign-in policy."""
    tenant = SAMPLES["tenant-full"][1]
    switched_on = replace(tenant, sign_in_policy=replace(tenant.sign_in_policy, passwordless_sign_in=True))

    written = encode("tenant", switched_on)

    policy, captured_policy = written["signInPolicy"]["M"], CAPTURED["tenant-full"]["signInPolicy"]["M"]
    assert policy == {**captured_policy, "passwordlessSignIn": {"BOOL": True}}
    assert {k: v for k, v in written.items() if k != "signInPolicy"} == {
        k: v for k, v in CAPTURED["tenant-full"].items() if k != "signInPolicy"
    }
    assert _decode("tenant", written) == switched_on


def test_an_app_refresh_token_stores_that_it_is_an_older_app_tickets_only_when_it_is() -> None:
    """Added after the capture (Kibo's older app ticket): the OAuth route's tokens keep the captured
    layout above, and an app ticket's gains one attribute."""
    oauth = SAMPLES["app-refresh"][1]
    ticket = replace(oauth, legacy_ticket=True)

    written = encode("app_refresh", ticket)

    assert written == {**CAPTURED["app-refresh"], "legacyTicket": {"BOOL": True}}
    assert _decode("app_refresh", written) == ticket
    assert _decode("app_refresh", CAPTURED["app-refresh"]).legacy_ticket is False
