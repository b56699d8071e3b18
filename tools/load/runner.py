"""``make load``: the local server under 50 concurrent shoppers for 30 s, then the session check.

1. Starts ``python -m tools.local_api`` (what ``make run`` runs) on free ports, its embedded
   DynamoDB on a known one.
2. Gets an app token for the demo client and provisions one shopper per user with
   Add-Account-And-Login.
3. Runs locust headless (``locustfile.Shopper``): each user signs in, then refreshes, gets its
   account by id (app token) and its current account (``x-vol-user-claims``), and now and then
   signs in again. Users stop after their request in flight, so no answer is thrown away.
4. Refreshes every shopper's current session once more, then scans the table: one session item
   per session handed out, each family's head the shopper's newest refresh token, every token
   stored once (``sessions.verify``).

Prints requests, errors, throughput and latency percentiles per request type; writes them as JSON
with --json. Exits 1 on any failed request or check.
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib import error, request

import boto3
import gevent  # type: ignore[import-untyped]
from boto3.dynamodb.types import TypeDeserializer
from locust.env import Environment
from locust.stats import StatsEntry

from . import locustfile
from .locustfile import ACCOUNTS, TICKETS, Credentials, Shopper
from .sessions import Verdict, sid_of, verify

ROOT = Path(__file__).resolve().parents[2]
SEED = json.loads((ROOT / "tools/local_api/seed.json").read_text())
TABLE = "customer-auth-local"
KINDS = ("sign in", "refresh", "get account", "current account")
PERCENTILES = (0.5, 0.95, 0.99)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.load", description=__doc__)
    parser.add_argument("--users", type=int, default=50, help="concurrent shoppers (50)")
    parser.add_argument("--spawn-rate", type=float, help="users started per second (all at once)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (30)")
    parser.add_argument("--json", type=Path, help="also write the figures here (load-results.json)")
    args = parser.parse_args(argv)
    args.spawn_rate = args.spawn_rate or float(args.users)
    return args


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    base: str
    dynamodb: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def errors(self) -> list[str]:
        """Lines the server logged at ERROR or CRITICAL, or tracebacks."""
        self.log.flush()
        lines = Path(self.log.name).read_text(errors="replace").splitlines()
        return [line for line in lines if line.startswith("Traceback") or _logged_error(line)]


def _logged_error(line: str) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and record.get("level") in {"ERROR", "CRITICAL"}


@contextmanager
def local_server(workdir: Path) -> Iterator[Server]:
    """``make run``'s server on free ports, with its own outbox; stopped on the way out."""
    port, embedded = _free_port(), _free_port()
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "TABLE_NAME", "SIGNING_KEYS", "TOKEN_", "PASSWORD_HASH", "CODE_OUTBOX"))
    }
    environment |= {
        "PORT": str(port),
        "EMBEDDED_AWS_PORT": str(embedded),
        "CODE_OUTBOX_FILE": str(workdir / "2fa-codes.jsonl"),
    }
    with (workdir / "server.log").open("w+b") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tools.local_api"], cwd=ROOT, env=environment, stdout=log, stderr=log
        )
        server = Server(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{embedded}", process, log)
        try:
            _wait_for(server, port)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for(server: Server, port: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            server.log.flush()
            raise RuntimeError("the local server exited:\n" + Path(server.log.name).read_text()[-4000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the local server did not start within 90 s")


class Api:
    """Plain HTTP calls for setting up and checking (outside locust's statistics)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base, self.headers = base, headers

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        """The JSON answer of a 2xx response; anything else raises."""
        sent = request.Request(  # noqa: S310 (loopback only)
            self.base + path,
            data=json.dumps(body).encode() if body is not None else None,
            method=method,
            headers={**self.headers, **(headers or {})},
        )
        try:
            with request.urlopen(sent, timeout=300) as response:  # noqa: S310
                return json.loads(response.read())
        except error.HTTPError as failure:
            raise RuntimeError(f"{method} {path}: HTTP {failure.code} {failure.read()[:300]!r}") from None


def _prepare(server: Server, shoppers: int) -> Api:
    tenant, site = SEED["tenant"]["id"], SEED["tenant"]["sites"][0]["id"]
    client = SEED["clients"][0]
    api = Api(
        server.base,
        {"content-type": "application/json", "x-vol-tenant": str(tenant), "x-vol-site": str(site)},
    )
    app = api.call(
        "POST",
        "/api/platform/applications/authtickets/oauth",
        {
            "client_id": client["clientId"],
            "client_secret": client["secret"],
            "grant_type": "client_credentials",
        },
    )
    api.headers["authorization"] = f"Bearer {app['access_token']}"
    locustfile.PLAN.headers = dict(api.headers)
    run = uuid.uuid4().hex[:8]
    for number in range(shoppers):
        email, password = f"load-{run}-{number}@example.com", f"load test passphrase {run} {number}"
        ticket = api.call(
            "POST",
            f"{ACCOUNTS}/Add-Account-And-Login",
            {
                "account": {"emailAddress": email, "firstName": "Load", "lastName": str(number)},
                "password": password,
            },
        )
        locustfile.PLAN.ledger.started(ticket)
        locustfile.PLAN.shoppers.append(Credentials(int(ticket["customerAccount"]["id"]), email, password))
    return api


def _load(base: str, users: int, spawn_rate: float, duration: float) -> tuple[Environment, float]:
    environment = Environment(user_classes=[Shopper], host=base, stop_timeout=300.0)
    runner = environment.create_local_runner()
    started = time.perf_counter()
    runner.start(users, spawn_rate=spawn_rate)
    gevent.sleep(duration)
    runner.stop()  # each user finishes the request it has in flight (stop_timeout), then stops
    elapsed = time.perf_counter() - started
    runner.quit()
    return environment, elapsed


def _final_refreshes(api: Api) -> list[str]:
    """Each shopper's current session refreshes once more and stays the same session."""
    problems = []
    ledger = locustfile.PLAN.ledger
    for account_id, sid in sorted(locustfile.PLAN.current.items()):
        try:
            ticket = api.call("PUT", f"{TICKETS}/refresh", {"refreshToken": ledger.sessions[sid].head})
        except RuntimeError as failure:
            problems.append(f"account {account_id}: its newest refresh token no longer refreshes ({failure})")
            continue
        ledger.rotated(sid, ticket)
        if sid_of(str(ticket["refreshToken"])) != sid:
            problems.append(f"account {account_id}: the final refresh moved to another session")
    return problems


def _scan(endpoint: str) -> list[dict[str, Any]]:
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 (moto accepts any)
    )
    plain = TypeDeserializer()
    return [
        {name: plain.deserialize(value) for name, value in item.items()}
        for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE)
        for item in page["Items"]
    ]


def _figures(entry: StatsEntry, elapsed: float) -> dict[str, Any]:
    return {
        "requests": entry.num_requests,
        "errors": entry.num_failures,
        "throughputPerSecond": round(entry.num_requests / elapsed, 1) if elapsed else 0.0,
        "latencyMs": {
            **{f"p{round(p * 100)}": entry.get_response_time_percentile(p) for p in PERCENTILES},
            "mean": round(entry.avg_response_time, 1),
            "max": round(entry.max_response_time or 0.0, 1),
        },
    }


def _results(
    args: argparse.Namespace,
    environment: Environment,
    elapsed: float,
    verdict: Verdict,
    final_problems: list[str],
    server_errors: list[str],
) -> dict[str, Any]:
    stats = environment.stats
    by_kind = {
        name: _figures(entry, elapsed)
        for (name, _method), entry in sorted(stats.entries.items())
        if entry.num_requests or entry.num_failures
    }
    failures = [
        {"request": f"{e.method} {e.name}", "error": str(e.error), "count": e.occurrences}
        for e in stats.errors.values()
    ]
    runner = environment.runner
    exceptions = [
        {"message": str(row["msg"]), "count": int(row["count"])}
        for row in (runner.exceptions.values() if runner else [])
    ]
    problems = [*final_problems, *verdict.problems]
    return {
        "users": args.users,
        "durationSeconds": args.duration,
        "elapsedSeconds": round(elapsed, 1),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {args.load_average:.1f} before the run",
        "total": _figures(stats.total, elapsed),
        "byRequest": by_kind,
        "failures": failures,
        "exceptions": exceptions,
        "sessions": {
            "provisioned": args.users,
            **verdict.figures,
            "checks": {
                **verdict.checks,
                "every shopper's newest refresh token refreshes": not final_problems,
            },
            "problems": problems[:50],
        },
        "serverErrors": server_errors[:20],
        "passed": not (stats.total.num_failures or exceptions or problems or server_errors),
    }


def _report(results: dict[str, Any]) -> list[str]:
    header = ["request", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"]

    def row(name: str, figures: dict[str, Any]) -> list[str]:
        latency = figures["latencyMs"]
        return [
            name,
            str(figures["requests"]),
            str(figures["errors"]),
            f"{figures['throughputPerSecond']:.1f}",
            *(f"{latency[k]:.0f}" for k in ("p50", "p95", "p99", "max")),
        ]

    rows = [row(name, f) for name, f in results["byRequest"].items()] + [row("all", results["total"])]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    table = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    ]
    sessions = results["sessions"]
    lines = [
        f"load: {results['users']} users for {results['durationSeconds']:g} s "
        f"({results['elapsedSeconds']} s with the requests in flight), {results['machine']}",
        "the local server runs one invocation at a time (like one Lambda environment), except while one"
        " waits out a deliberate floor: throughput is bounded",
        "",
        *table,
        "",
        f"sessions: {sessions['provisioned']} from Add-Account-And-Login + "
        f"{sessions['signIns'] - sessions['provisioned']} sign-ins = {sessions['signIns']}; "
        f"{sessions['sessionItems']} session items; {sessions['refreshes']} refreshes; "
        f"{sessions['refreshTokensHandedOut']} refresh tokens handed out, "
        f"{sessions['refreshTokenItems']} stored; "
        f"{sessions['tableItems']} items in the table",
        *(f"  {'ok  ' if passed else 'FAIL'}  {check}" for check, passed in sessions["checks"].items()),
        *(f"  problem: {p}" for p in sessions["problems"]),
        *(f"  failed request: {f['request']}: {f['error']} (x{f['count']})" for f in results["failures"]),
        *(f"  exception in a user: {e['message']} (x{e['count']})" for e in results["exceptions"]),
        *(f"  server error: {line[:300]}" for line in results["serverErrors"]),
        "",
        "PASS: no errors, no lost or duplicated session" if results["passed"] else "FAIL",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    with (
        tempfile.TemporaryDirectory(prefix="customer-auth-load-") as scratch,
        local_server(Path(scratch)) as server,
    ):
        print(f"local server on {server.base}; provisioning {args.users} shoppers", flush=True)
        provisioning = time.perf_counter()
        api = _prepare(server, args.users)
        print(
            f"provisioned in {time.perf_counter() - provisioning:.1f} s; "
            f"running {args.users} users for {args.duration:g} s",
            flush=True,
        )
        args.load_average = os.getloadavg()[0]
        environment, elapsed = _load(server.base, args.users, args.spawn_rate, args.duration)
        final_problems = _final_refreshes(api)
        verdict = verify(locustfile.PLAN.ledger, _scan(server.dynamodb), SEED["tenant"]["id"])
        results = _results(args, environment, elapsed, verdict, final_problems, server.errors())
    print("\n".join(_report(results)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if results["passed"] else 1
