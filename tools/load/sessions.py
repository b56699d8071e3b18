"""What the load test's shoppers were handed, and the check that the table holds exactly that.

Kept free of locust (which monkey-patches the standard library on import), so tests can use it.
A session is lost when a shopper holds it but the table does not, or when the table's head of its
refresh family is not the newest token the shopper got back. It is duplicated when the table holds
a session nobody was given, or when a token or session id was handed out twice.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

Ticket = dict[str, Any]
"""A customer auth ticket as the API returns it (accessToken, refreshToken, customerAccount, ...)."""


def sid_of(token: str) -> str:
    """The session id in an opaque shopper token's locator: ``{tenant}.{account}.{sid}.{secret}``."""
    parts = token.split(".")
    return parts[2] if len(parts) == 4 else ""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class Trail:
    """One session as its shopper sees it: the newest refresh token and how often it rotated."""

    account_id: int
    head: str
    access_token: str
    rotations: int = 0


@dataclass
class Ledger:
    sessions: dict[str, Trail] = field(default_factory=dict)
    refresh_tokens: list[str] = field(default_factory=list)
    access_tokens: list[str] = field(default_factory=list)
    sign_ins: int = 0
    refreshes: int = 0
    anomalies: list[str] = field(default_factory=list)

    def started(self, ticket: Ticket) -> str:
        """A new session (sign-in or Add-Account-And-Login); returns its sid."""
        refresh, access = str(ticket["refreshToken"]), str(ticket["accessToken"])
        sid = sid_of(refresh)
        if sid_of(access) != sid:
            self.anomalies.append(f"a ticket's access and refresh tokens name different sessions ({sid})")
        if sid in self.sessions:
            self.anomalies.append(f"a sign-in was handed session {sid}, which another sign-in already has")
        self.sessions[sid] = Trail(int(ticket["customerAccount"]["id"]), refresh, access)
        self.refresh_tokens.append(refresh)
        self.access_tokens.append(access)
        self.sign_ins += 1
        return sid

    def rotated(self, sid: str, ticket: Ticket) -> None:
        """A refresh of ``sid``'s head: the family keeps its sid and gets a new head."""
        refresh, access = str(ticket["refreshToken"]), str(ticket["accessToken"])
        if sid_of(refresh) != sid or sid_of(access) != sid:
            self.anomalies.append(f"refreshing session {sid} returned tokens of session {sid_of(refresh)}")
        trail = self.sessions[sid]
        trail.head, trail.access_token = refresh, access
        trail.rotations += 1
        self.refresh_tokens.append(refresh)
        self.access_tokens.append(access)
        self.refreshes += 1


@dataclass
class Verdict:
    checks: dict[str, bool]
    problems: list[str]
    figures: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.problems


def _twice(values: list[str]) -> int:
    return sum(count - 1 for count in Counter(values).values() if count > 1)


def verify(ledger: Ledger, items: list[dict[str, Any]], tenant_id: int) -> Verdict:
    """Compare the ledger with a scan of the table (items as plain values, ``pk``/``sk`` strings)."""
    prefix = f"ACCOUNT#{tenant_id}#"
    stored = {
        str(item["sk"]).removeprefix("SESSION#"): item
        for item in items
        if str(item["pk"]).startswith(prefix) and str(item["sk"]).startswith("SESSION#")
    }
    refresh_items = {str(item["pk"]).removeprefix("REFRESH#") for item in items if item["sk"] == "REFRESH"}
    access_items = {str(item["pk"]).removeprefix("ACCESS#") for item in items if item["sk"] == "ACCESS"}
    held = set(ledger.sessions)
    lost = sorted(held - stored.keys())
    unexpected = sorted(stored.keys() - held)
    stale = sorted(
        sid
        for sid in held & stored.keys()
        if stored[sid].get("headDigest") != digest(ledger.sessions[sid].head)
    )
    waiting = sorted(sid for sid, item in stored.items() if item.get("awaiting2Fa"))
    misplaced = sorted(
        sid
        for sid in held & stored.keys()
        if str(stored[sid]["pk"]) != f"{prefix}{ledger.sessions[sid].account_id}"
    )
    refresh_twice, access_twice = _twice(ledger.refresh_tokens), _twice(ledger.access_tokens)
    refresh_digests = {digest(t) for t in ledger.refresh_tokens}
    access_digests = {digest(t) for t in ledger.access_tokens}
    checks = {
        "one session item per sign-in": not lost and not unexpected and len(stored) == ledger.sign_ins,
        "every family's head is the shopper's newest refresh token": not stale,
        "no session waiting or on another account": not waiting and not misplaced,
        "no refresh or access token handed out twice": refresh_twice == 0 and access_twice == 0,
        "the table stores exactly the refresh tokens handed out": refresh_items == refresh_digests,
        "the table stores exactly the access tokens handed out": access_items == access_digests,
        "no session id swapped or reused": not ledger.anomalies,
    }
    problems = [*ledger.anomalies]
    problems += [f"lost session {sid} (held by a shopper, not in the table)" for sid in lost]
    problems += [f"duplicated session {sid} (in the table, handed to no shopper)" for sid in unexpected]
    problems += [f"session {sid}: the table's head is not the shopper's newest token" for sid in stale]
    problems += [f"session {sid} waits for a second factor" for sid in waiting]
    problems += [f"session {sid} is stored under another account" for sid in misplaced]
    if refresh_twice or access_twice:
        problems.append(f"tokens handed out twice: {refresh_twice} refresh, {access_twice} access")
    if refresh_items != refresh_digests:
        problems.append(
            f"refresh tokens: {len(refresh_digests - refresh_items)} handed out but not stored, "
            f"{len(refresh_items - refresh_digests)} stored but not handed out"
        )
    if access_items != access_digests:
        problems.append(
            f"access tokens: {len(access_digests - access_items)} handed out but not stored, "
            f"{len(access_items - access_digests)} stored but not handed out"
        )
    if len(stored) != ledger.sign_ins and not lost and not unexpected:
        problems.append(f"{ledger.sign_ins} sign-ins but {len(stored)} session items")
    figures = {
        "signIns": ledger.sign_ins,
        "refreshes": ledger.refreshes,
        "sessionItems": len(stored),
        "refreshTokensHandedOut": len(ledger.refresh_tokens),
        "refreshTokenItems": len(refresh_items),
        "accessTokensHandedOut": len(ledger.access_tokens),
        "accessTokenItems": len(access_items),
        "tableItems": len(items),
    }
    return Verdict(checks, problems, figures)
