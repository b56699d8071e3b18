"""``python -m tools.bench [--quick] [--json bench-results.json]``: ``make bench``.

Prints the machine, then one table (round trips, DynamoDB request units, warm ratio, cold start
per endpoint) with PASS or FAIL beside each budget, then Argon2id's cost, the slowest accepted
imports, sign-in over HTTP per class of login and the embedded backend's growth, and writes the
same figures as JSON. Every budget is a ratio of figures from the same run (or a count, or a
memory size); times in ms are printed as absolute figures and never judged. Exits 1 when a budget
fails, except those of budgets.PENDING (printed apart); --quick judges only the budgets that do
not depend on timings (round trips, argon2 imports, hashing's vCPU share), since its timings are
not measurements.
"""

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import budgets, capacity, environment

if TYPE_CHECKING:  # imported in main(), once the environment is set
    from .cold import ColdResult
    from .warm import Recording, WarmResult

QUICK_COLD = ("GetAccountFunction", "CreateLoginFunction", "TwoFactorRequestFunction", "JwksFunction")
"""--quick starts cold processes for these only (no hashing, hashing, the code bus, no AWS call):
every cold process costs a second or more, and the smoke run has to stay short."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few iterations (CI's smoke run)")
    parser.add_argument("--json", type=Path, help="also write the figures here (bench-results.json)")
    parser.add_argument("--iterations", type=int, help="warm requests per endpoint (300; --quick 3)")
    parser.add_argument("--cold-runs", type=int, help="cold processes per function (7; --quick 1)")
    parser.add_argument("--hash-runs", type=int, help="Argon2id hashes and verifications (10; --quick 1)")
    parser.add_argument(
        "--sizes", help="stored accounts for the embedded backend (100,1000,10000; --quick 100; '' skips)"
    )
    parser.add_argument("--creates", type=int, help="Create-Logins timed per size (7; --quick 1)")
    parser.add_argument(
        "--sign-in-rounds", type=int, help="interleaved rounds of sign-ins over HTTP (11; --quick 1; 0 skips)"
    )
    parser.add_argument("--import-runs", type=int, help="verifications of each capped import (5; --quick 1)")
    parser.add_argument(
        "--import-profile",
        action=argparse.BooleanOptionalAction,
        help="python -X importtime of each function's init (on when a cold budget fails; off with --quick)",
    )
    parser.add_argument(
        "--only", help="comma-separated functions (AppTokenFunction,...): a partial run, all started cold"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.iterations = args.iterations or (3 if quick else 300)
    args.warmup = 1 if quick else 30
    args.cold_runs = args.cold_runs or (1 if quick else 7)
    args.hash_runs = args.hash_runs or (1 if quick else 10)
    sizes = args.sizes if args.sizes is not None else ("100" if quick else "100,1000,10000")
    args.sizes = [int(size) for size in sizes.split(",") if size]
    args.creates = args.creates or (1 if quick else 7)
    args.sign_in_rounds = args.sign_in_rounds if args.sign_in_rounds is not None else (1 if quick else 11)
    args.sign_in_warmup = 1 if quick else 2
    args.import_runs = args.import_runs or (1 if quick else 5)
    return args


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load_average() -> list[float] | None:
    try:
        return [round(load, 2) for load in os.getloadavg()]
    except OSError:
        return None


def machine() -> dict[str, Any]:
    """What the absolute figures were measured on."""
    return {
        "cpu_model": _cpu_model(),
        "cpus": os.cpu_count(),
        "load_average_before": _load_average(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
    }


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    started = time.perf_counter()
    measured_on = machine()
    environment.apply_in_process()
    warnings.filterwarnings("ignore", "No application metrics to publish")

    from moto import mock_aws

    from customer_auth.api import runtime

    from .. import moto_transactions, sam_template
    from . import cold, embedded, hashing, import_caps, imports, report, signin, warm
    from .replay import FakeHasher, Recorder, Replayer
    from .world import World

    functions = list(dict.fromkeys(route.function for route in sam_template.routes()))
    if args.only:
        functions = [f for f in functions if f in set(args.only.split(","))]
    print(f"bench: {len(functions)} functions, {'quick' if args.quick else 'full'} run", file=sys.stderr)

    recordings: dict[str, warm.Recording] = {}
    warm_results: dict[str, warm.WarmResult] = {}
    moto_transactions.install()  # as the suite and make run run moto
    with mock_aws():
        hasher = FakeHasher()
        setattr(runtime, "_password_hasher", lambda: hasher)  # noqa: B010 (hashing is timed on its own)
        with warm.quiet():
            world = World(Recorder(), Replayer())
        for function in functions:
            recordings[function] = warm.record(world, hasher, function)
            warm_results[function] = warm.measure(world, recordings[function], args.iterations, args.warmup)
        secret = world.secret
    print(f"bench: warm done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    specs = [
        cold.ColdSpec(
            function=function,
            code_dir=recording.sample.route.code_dir,
            memory_mb=environment.memory_size(function),
            event=recording.sample.event,
            expected_status=recording.sample.expected_status,
            calls=[call.to_json() for call in recording.calls],
            recorded_at=recording.recorded_at.isoformat(),
        )
        for function, recording in recordings.items()
    ]
    cold_specs = [spec for spec in specs if not args.quick or args.only or spec.function in QUICK_COLD]
    floors, measured = cold.measure(cold_specs, secret, args.cold_runs, parallel=args.quick)
    cold_floor, stack_floor, paused_floor = floors[cold.FLOOR], floors[cold.STACK], floors[cold.STACK_PAUSED]
    cold_results: dict[str, cold.ColdResult | None] = {
        spec.function: measured.get(spec.function) for spec in specs
    }
    print(f"bench: cold done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    hash_times = hashing.measure(args.hash_runs)
    capped_imports = import_caps.measure(args.import_runs, budgets.IMPORT_MARGIN)
    sign_in = (
        signin.judged(
            signin.measure(args.sign_in_rounds, args.sign_in_warmup),
            hash_times.verify_ms,
            budgets.SIGN_IN_RATIO,
            budgets.SIGN_IN_SPREAD,
        )
        if args.sign_in_rounds
        else None
    )
    print(
        f"bench: hashing, imports and sign-in done ({time.perf_counter() - started:.0f} s)", file=sys.stderr
    )
    embedded_results = embedded.measure(args.sizes, args.creates) if args.sizes else []
    print(f"bench: embedded done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    endpoints = [
        _endpoint(recordings[f], warm_results[f], cold_results[f], cold_floor, stack_floor) for f in functions
    ]
    cold_failed = any(endpoint["cold"] and not endpoint["cold"]["pass"] for endpoint in endpoints)
    profile_imports = (
        args.import_profile if args.import_profile is not None else cold_failed and not args.quick
    )
    import_profile = imports.profile(specs, secret) if profile_imports else None

    results: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "machine": {**measured_on, "load_average_after": _load_average()},
        "settings": {
            "iterations": args.iterations,
            "warmup": args.warmup,
            "cold_runs": args.cold_runs,
            "hash_runs": args.hash_runs,
            "sizes": args.sizes,
            "creates": args.creates,
            "sign_in_rounds": args.sign_in_rounds,
            "sign_in_warmup": args.sign_in_warmup,
            "import_runs": args.import_runs,
        },
        "budgets": {
            "round_trips": budgets.ROUND_TRIPS,
            "warm_ratio": budgets.WARM_RATIO,
            "warm_margin": budgets.WARM_MARGIN,
            "warm_margin_tiny_floor": budgets.WARM_MARGIN_TINY_FLOOR,
            "cold_ratio_to_stack_floor": budgets.COLD_RATIO,
            "peak_mib": budgets.PEAK_MIB,
            "hash_slowdown": budgets.HASH_SLOWDOWN,
            "embedded_growth": budgets.EMBEDDED_GROWTH,
            "sign_in_ratio": budgets.SIGN_IN_RATIO,
            "sign_in_spread": budgets.SIGN_IN_SPREAD,
            "import_margin": budgets.IMPORT_MARGIN,
            "floor_work": sorted(budgets.FLOOR_WORK),
            "pending": sorted(budgets.PENDING),
        },
        "endpoints": endpoints,
        "cold_floor": {
            "init_ms": round(cold_floor.init_ms, 1),
            "init_cpu_ms": round(cold_floor.init_cpu_ms, 1),
            "runs_ms": [round(run["init_ms"], 1) for run in cold_floor.runs],
            "peak_mib": round(cold_floor.peak_mib, 1),
        },
        "stack_floor": {
            "init_ms": round(stack_floor.init_ms, 1),
            "init_cpu_ms": round(stack_floor.init_cpu_ms, 1),
            "runs_ms": [round(run["init_ms"], 1) for run in stack_floor.runs],
            "peak_mib": round(stack_floor.peak_mib, 1),
            "modules": max(run["modules_after_init"] for run in stack_floor.runs),
        },
        "stack_floor_paused": {
            "init_cpu_ms": round(paused_floor.init_cpu_ms, 1),
            "runs_cpu_ms": [round(run["init_cpu_ms"], 1) for run in paused_floor.runs],
        },
        "hashing": {
            "profile": "owasp",
            "runs": hash_times.runs,
            "hash_ms": round(hash_times.hash_ms, 2),
            "verify_ms": round(hash_times.verify_ms, 2),
            "functions": hashing.on_lambda(hash_times),
        },
        "storage": capacity.stored(
            recordings["SignInFunction"].table_before, recordings["SignInFunction"].table_after
        )
        if "SignInFunction" in recordings
        else None,
        "import_caps": capped_imports,
        "sign_in": sign_in,
        "embedded": [size.to_json() for size in embedded_results],
        "embedded_growth": embedded.growth(embedded_results),
        "import_profile": import_profile,
    }
    judged = _failures(results)
    results["failures"] = [message for name, message in judged if name not in budgets.PENDING]
    results["pending_failures"] = [message for name, message in judged if name in budgets.PENDING]
    results["pass"] = not results["failures"]
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    print(report.render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if results["pass"] else 1


def _endpoint(
    recording: "Recording",
    warm_result: "WarmResult",
    cold_result: "ColdResult | None",
    cold_floor: "ColdResult",
    stack_floor: "ColdResult",
) -> dict[str, Any]:
    function = recording.function
    trips_budget = budgets.ROUND_TRIPS.get(function)
    handler, floor = warm_result.handler, warm_result.floor
    without_verify = floor.median - warm_result.floor_parts["jwt_verify"].median
    ratio_budget = budgets.WARM_RATIO.get(function)
    units = capacity.request_units(recording.calls, recording.table_before, recording.table_after)
    return {
        "endpoint": function.removesuffix("Function"),
        "function": function,
        "route": recording.sample.route.route_key,
        "sample_status": recording.sample.expected_status,
        "round_trips": {
            "count": recording.round_trips,
            "operations": recording.operations,
            "other_aws_calls": [
                f"{c.service}.{c.operation}" for c in recording.calls if c.service != "dynamodb"
            ],
            "budget": trips_budget,
            "pass": trips_budget is None or recording.round_trips <= trips_budget,
        },
        "capacity": {
            **capacity.summary(units),
            "events": capacity.event_entries(recording.calls),
            "memory_mb": environment.memory_size(function),
        },
        "warm": {
            # CPU time, to 0.1 µs: the floors of routes that call nothing are a few µs, and at
            # 1 µs their rounding alone moved the ratio by more than 5%.
            "median_ms": round(handler.median, 4),
            "p95_ms": round(handler.p95, 4),
            "floor_median_ms": round(floor.median, 4),
            "floor_p95_ms": round(floor.p95, 4),
            "floor_parts_median_ms": {
                part: round(t.median, 3) for part, t in warm_result.floor_parts.items()
            },
            "wall_median_ms": round(warm_result.handler_wall.median, 4),
            "floor_wall_median_ms": round(warm_result.floor_wall.median, 4),
            "ratio": round(warm_result.ratio, 2),
            "wall_ratio": round(warm_result.handler_wall.median / warm_result.floor_wall.median, 2),
            "ratio_to_floor_without_jwt_verify": round(handler.median / without_verify, 2)
            if without_verify
            else None,
            "overhead_ms": round(handler.median - floor.median, 3),
            "ratio_budget": ratio_budget,
            "jwts_minted": len(recording.minted),
            "jwts_verified": len(recording.verified),
            "hash_operations_faked": recording.hash_operations,
            "pass": ratio_budget is not None and round(warm_result.ratio, 2) <= ratio_budget,
        },
        "cold": _cold(function, cold_result, cold_floor, stack_floor) if cold_result is not None else None,
    }


def _cold(
    function: str, cold_result: "ColdResult", cold_floor: "ColdResult", stack_floor: "ColdResult"
) -> dict[str, Any]:
    hashes = function in budgets.HASHING_FUNCTIONS
    argon2 = cold_result.any_run("argon2_after_init") or cold_result.any_run("argon2_after_request")
    # Judged on CPU time: on a shared machine the wall clock measures the neighbours too.
    cold_ratio = cold_result.cpu_ratio_to(stack_floor)
    first_request = cold_result.first_request_ms()
    after_request = cold_result.peak_after_request_mib()
    return {
        "init_ms": round(cold_result.init_ms, 1),
        "runs_ms": [round(run["init_ms"], 1) for run in cold_result.runs],
        "init_cpu_ms": round(cold_result.init_cpu_ms, 1),
        "ratio": round(cold_ratio, 2),
        "excess_cpu_ms": round(excess, 1) if (excess := cold_result.excess_cpu_ms()) is not None else None,
        "stages_cpu_ms": {stage: round(ms, 1) for stage, ms in cold_result.stages_cpu_ms().items()},
        "wall_ratio": round(cold_result.init_ms / stack_floor.init_ms, 2),
        "ratio_to_boto3_floor": round(cold_result.init_cpu_ms / cold_floor.init_cpu_ms, 2),
        "peak_mib": round(cold_result.peak_mib, 1),
        "peak_mib_after_first_request": round(after_request, 1) if after_request is not None else None,
        "first_request_ms": round(first_request, 1) if first_request is not None else None,
        "modules_after_init": max(run["modules_after_init"] for run in cold_result.runs),
        "argon2_after_init": cold_result.any_run("argon2_after_init"),
        "argon2_imported": argon2,
        "hashes_passwords": hashes,
        "pass": cold_ratio <= budgets.COLD_RATIO
        and cold_result.peak_mib <= budgets.PEAK_MIB
        and (hashes or not argon2),
    }


def _failures(results: dict[str, Any]) -> list[tuple[str, str]]:
    """Every budget that failed, as (budget name, message); with --quick, only those that do not
    depend on timings."""
    failures = []
    b = results["budgets"]
    timed = results["mode"] != "quick"
    for endpoint in results["endpoints"]:
        name, trips, warm, cold = (
            endpoint["endpoint"],
            endpoint["round_trips"],
            endpoint["warm"],
            endpoint["cold"],
        )
        if not trips["pass"]:
            failures.append(
                ("round_trips", f"{name}: {trips['count']} round trips, budget {trips['budget']}")
            )
        if cold is not None and cold["argon2_imported"] and not cold["hashes_passwords"]:
            failures.append(("argon2", f"{name}: imports argon2 but never hashes a password"))
        if not timed:
            continue
        if warm["ratio_budget"] is None:
            failures.append(
                ("warm_ratio", f"{name}: no warm budget (add its ratio to budgets.WARM_RATIOS_MEASURED)")
            )
        elif not warm["pass"]:
            failures.append(
                (
                    "warm_ratio",
                    f"{name}: warm {warm['ratio']:.2f}x its floor, budget {warm['ratio_budget']}x",
                )
            )
        if cold is None:
            continue
        if cold["ratio"] > b["cold_ratio_to_stack_floor"]:
            failures.append(
                (
                    "cold_ratio",
                    f"{name}: cold start {cold['ratio']:.2f}x the stack floor, "
                    f"budget {b['cold_ratio_to_stack_floor']}x",
                )
            )
        if cold["peak_mib"] > b["peak_mib"]:
            failures.append(
                (
                    "peak_mib",
                    f"{name}: peak {cold['peak_mib']:.0f} MiB after init, budget {b['peak_mib']:.0f} MiB",
                )
            )
    for row in results["hashing"]["functions"]:
        if not row["pass"]:
            name = row["function"].removesuffix("Function")
            failures.append(
                (
                    "hash_slowdown",
                    f"{name}: Argon2id {row['slowdown']:.2f}x its time on a full vCPU at "
                    f"{row['memory_mb']} MB, budget {b['hash_slowdown']}x",
                )
            )
    if not timed:
        return failures
    growth = results.get("embedded_growth")
    if growth is not None and not growth["pass"]:
        failures.append(
            (
                "embedded_growth",
                f"embedded: Create-Login at {growth['largest']:,} accounts {growth['ratio']:.2f}x its time "
                f"at {growth['smallest']:,}, budget {b['embedded_growth']}x",
            )
        )
    caps = results["import_caps"]
    if not caps["pass"]:
        failures.append(
            (
                "import_margin",
                f"imports: the padded check ({caps['padded_check_ms']:.0f} ms) is {caps['margin']:.2f}x the "
                f"slowest accepted import ({caps['slowest']}), budget >= {caps['budget']}x",
            )
        )
    sign_in = results.get("sign_in")
    if sign_in is not None:
        versus = sign_in["vs_reference"]
        if not versus["pass"]:
            worst = max(versus["ratios"], key=lambda kind: versus["ratios"][kind])
            failures.append(
                (
                    "sign_in_ratio",
                    f"sign-in: {worst} {versus['ratios'][worst]:.2f}x (GetAccount + one Argon2id "
                    f"verification, {sign_in['reference_ms']:.0f} ms), budget {versus['budget']}x",
                )
            )
        for key, tenant in (
            ("sign_in_spread_native", "no imported hash"),
            ("sign_in_spread_imported", "PBKDF2"),
        ):
            spread = sign_in[key.removeprefix("sign_in_")]
            if not spread["pass"]:
                failures.append(
                    (
                        key,
                        f"sign-in ({tenant}): slowest class {spread['ratio']:.3f}x the fastest, "
                        f"budget {spread['budget']}x",
                    )
                )
    return failures


if __name__ == "__main__":
    sys.exit(main())
