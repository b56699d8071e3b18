"""``python -m tools.bench [--quick] [--json bench-results.json]``: ``make bench``.

Prints one table (round trips, warm overhead, cold start per endpoint) with PASS or FAIL beside
each budget, then Argon2id's cost and the embedded backend's growth, and writes the same figures
as JSON. Exits 1 when a budget fails; --quick judges only the budgets that do not depend on
timings (round trips, argon2 imports), since its timings are not measurements.
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

from . import budgets, environment

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
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    started = time.perf_counter()
    environment.apply_in_process()
    warnings.filterwarnings("ignore", "No application metrics to publish")

    from moto import mock_aws

    from customer_auth.api import runtime

    from .. import moto_transactions, sam_template
    from . import cold, embedded, hashing, imports, report, warm
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
    embedded_results = embedded.measure(args.sizes, args.creates) if args.sizes else []
    print(f"bench: hashing and embedded done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

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
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
        "settings": {
            "iterations": args.iterations,
            "warmup": args.warmup,
            "cold_runs": args.cold_runs,
            "hash_runs": args.hash_runs,
            "sizes": args.sizes,
            "creates": args.creates,
        },
        "budgets": {
            "round_trips": budgets.ROUND_TRIPS,
            "warm_overhead_ms": budgets.WARM_OVERHEAD_MS,
            "warm_read_overhead_ms": budgets.WARM_READ_OVERHEAD_MS,
            "read_functions": sorted(budgets.READ_FUNCTIONS),
            "cold_ratio_to_stack_floor": budgets.COLD_RATIO,
            "peak_mib": budgets.PEAK_MIB,
            "hash_ms": budgets.HASH_MS,
            "embedded_growth": budgets.EMBEDDED_GROWTH,
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
        "embedded": [size.to_json() for size in embedded_results],
        "embedded_growth": embedded.growth(embedded_results),
        "import_profile": import_profile,
    }
    results["failures"] = _failures(results)
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
        "warm": {
            # To 0.1 µs: the floors of routes that call nothing are a few µs, and at 1 µs their
            # rounding alone moved the ratio by more than 5%.
            "median_ms": round(handler.median, 4),
            "p95_ms": round(handler.p95, 4),
            "floor_median_ms": round(floor.median, 4),
            "floor_p95_ms": round(floor.p95, 4),
            "floor_parts_median_ms": {
                part: round(t.median, 3) for part, t in warm_result.floor_parts.items()
            },
            "ratio": round(warm_result.ratio, 2),
            "ratio_to_floor_without_jwt_verify": round(handler.median / without_verify, 2)
            if without_verify
            else None,
            "overhead_ms": round(handler.median - floor.median, 3),
            "overhead_budget_ms": budgets.warm_overhead_budget(function),
            "jwts_minted": len(recording.minted),
            "jwts_verified": len(recording.verified),
            "hash_operations_faked": recording.hash_operations,
            "pass": handler.median - floor.median <= budgets.warm_overhead_budget(function),
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


def _failures(results: dict[str, Any]) -> list[str]:
    """Every budget that failed; with --quick, only those that do not depend on timings."""
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
            failures.append(f"{name}: {trips['count']} round trips, budget {trips['budget']}")
        if cold is not None and cold["argon2_imported"] and not cold["hashes_passwords"]:
            failures.append(f"{name}: imports argon2 but never hashes a password")
        if not timed:
            continue
        if warm["overhead_ms"] > warm["overhead_budget_ms"]:
            failures.append(
                f"{name}: warm overhead {warm['overhead_ms']:.2f} ms over the floor, "
                f"budget {warm['overhead_budget_ms']} ms"
            )
        if cold is None:
            continue
        if cold["ratio"] > b["cold_ratio_to_stack_floor"]:
            failures.append(
                f"{name}: cold start {cold['ratio']:.2f}x the stack floor, "
                f"budget {b['cold_ratio_to_stack_floor']}x"
            )
        if cold["peak_mib"] > b["peak_mib"]:
            failures.append(
                f"{name}: peak {cold['peak_mib']:.0f} MiB after init, budget {b['peak_mib']:.0f} MiB"
            )
    for row in results["hashing"]["functions"]:
        if timed and not row["pass"]:
            name = row["function"].removesuffix("Function")
            failures.append(f"{name}: Argon2id over {b['hash_ms']:.0f} ms at {row['memory_mb']} MB")
    growth = results.get("embedded_growth")
    if timed and growth is not None and not growth["pass"]:
        failures.append(
            f"embedded: Create-Login at {growth['largest']:,} accounts {growth['ratio']:.2f}x its time at "
            f"{growth['smallest']:,}, budget {b['embedded_growth']}x"
        )
    return failures


if __name__ == "__main__":
    sys.exit(main())
