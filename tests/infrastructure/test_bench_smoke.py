"""`make bench` cannot rot: its --quick run (a few iterations) reports every endpoint of
template.yaml and meets the round-trip budgets, which do not depend on timings. Its timings are
not asserted: they are noise at a few iterations, and CI machines are shared. `make cost` prices
the same run's per-request figures, and its committed snapshot of them must agree with the code's
round trips and request units."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tools import sam_template

ROOT = Path(__file__).resolve().parents[2]

ISSUE_ROUND_TRIPS = {
    "GetAccountFunction": 1,
    "CreateLoginFunction": 2,
    "AddAccountAndLoginFunction": 2,
    "RefreshFunction": 2,
    "LogOutFunction": 2,
    "SignInFunction": 3,
    "AppTokenFunction": 3,
    "OtpRequestFunction": 3,
    "OtpAuthFunction": 3,
}
"""The issue's round-trip budgets, written out here so that loosening the bench's own copy fails.
The app token's went from 2 to 3 with issue 15: it reads the client's tenant for the sites that
every route checks ``x-vol-site`` against (a once-an-hour call, against a read on every route).
Passwordless sign-in's (issue 17): two reads and one write, the same for an unknown email."""
ISSUE_WARM_RATIO = {
    "AppTokenFunction": 2.6,
    "AddAccountFunction": 3.3,
    "GetAccountFunction": 2.5,
    "CreateLoginFunction": 2.6,
    "AddAccountAndLoginFunction": 2.6,
    "SignInFunction": 2.4,
    "RefreshFunction": 2.5,
    "UpdateAccountFunction": 2.5,
    "DeleteAccountFunction": 1.9,
    "AnonymousShopperFunction": 2.3,
    "LogOutFunction": 2.8,
    "CurrentAccountFunction": 2.7,
    "ChangePasswordFunction": 2.7,
    "SetLoginLockedFunction": 2.6,
    "LoginStateFunction": 2.6,
    "TenantDataFunction": 2.6,
    "JwksFunction": 12.3,
    "ApiDocsFunction": 0.2,
    "NotFoundFunction": 19.1,
    "TwoFactorRequestFunction": 2.5,
    "ResetPasswordFunction": 2.4,
    "UpdateForgottenPasswordFunction": 2.4,
    "SetPasswordChangeRequiredFunction": 2.5,
    "ChangePasswordsFunction": 2.7,
    "LoginStateByUserNameFunction": 2.4,
    "LoginStateByEmailAddressFunction": 2.5,
    "TwoFactorAuthFunction": 2.5,
    "OtpRequestFunction": 2.5,
    "OtpAuthFunction": 2.4,
    "AppTicketFunction": 2.6,
    "RefreshAppTicketFunction": 2.4,
    "DeleteAppTicketFunction": 2.4,
}
"""Each route's warm budget (its handler's median CPU time over its floor's), issue 28's
replacement for issue 13's absolute 1.0 ms and 0.4 ms over the floor: the ratios measured when
they were set, x 1.25 (x 1.5 for JWKS, the 404 and the API document)."""
ISSUE_BUDGETS = {
    "warm_ratio": ISSUE_WARM_RATIO,
    "warm_margin": 1.25,
    "warm_margin_tiny_floor": 1.5,
    "cold_ratio_to_stack_floor": 1.15,
    "embedded_growth": 1.3,
    "peak_mib": 110.0,
    "hash_slowdown": 1.0,
    "sign_in_ratio": 1.5,
    "sign_in_spread": 1.05,
    "import_margin": 1.5,
}
"""The timed budgets, likewise: every one a ratio of figures from the same run (or a memory size);
issue 13's absolute ones (warm overhead in ms, Argon2id <= 60 ms) are gone."""
FLOOR_WORK = ["import_margin", "sign_in_ratio", "sign_in_spread_imported", "sign_in_spread_native"]
"""The budgets of the per-tenant password-check floor (budgets.FLOOR_WORK)."""


@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    output = tmp_path_factory.mktemp("bench") / "bench-results.json"
    process = subprocess.run(  # noqa: S603 (this interpreter, the project's own module)
        [sys.executable, "-m", "tools.bench", "--quick", "--json", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert output.exists(), f"the bench wrote no JSON ({process.returncode}):\n{process.stderr[-4000:]}"
    results: dict[str, Any] = json.loads(output.read_text())
    return results, process.stdout


def test_quick_bench_reports_every_endpoint_of_the_template_in_its_table_and_json(
    quick_bench: tuple[dict[str, Any], str],
) -> None:
    results, printed = quick_bench
    functions = {route.function for route in sam_template.routes()}

    assert results["mode"] == "quick"
    assert {endpoint["function"] for endpoint in results["endpoints"]} == functions
    (table,) = [block for block in printed.split("\n\n") if block.startswith("| endpoint ")]
    assert "| endpoint " in table
    assert "round trips (budget)" in table
    for endpoint in results["endpoints"]:
        assert f"| {endpoint['endpoint']} " in table
        warm = endpoint["warm"]
        assert warm["median_ms"] > 0
        assert warm["p95_ms"] >= warm["median_ms"]
        assert warm["floor_median_ms"] > 0
        # The medians are written to 0.1 us and the ratio to 0.01: a floor of a few us carries a
        # rounding error of several percent, so the ratio must lie within what the roundings allow.
        half_us = 0.00005
        lowest = (warm["median_ms"] - half_us) / (warm["floor_median_ms"] + half_us)
        highest = (warm["median_ms"] + half_us) / max(warm["floor_median_ms"] - half_us, half_us)
        assert lowest - 0.005 <= warm["ratio"] <= highest + 0.005
        assert warm["ratio_budget"] == ISSUE_WARM_RATIO[endpoint["function"]]
        assert warm["wall_median_ms"] > 0
        assert warm["floor_wall_median_ms"] > 0
        assert set(warm["floor_parts_median_ms"]) == {"jwt_verify", "aws", "jwt_sign", "json"}


def test_quick_bench_states_the_machine_and_marks_its_absolute_figures(
    quick_bench: tuple[dict[str, Any], str],
) -> None:
    results, printed = quick_bench
    machine = results["machine"]

    assert machine["cpus"] >= 1
    assert machine["cpu_model"]
    assert len(machine["load_average_before"]) == len(machine["load_average_after"]) == 3
    assert machine["python"] in printed
    assert f"Machine: {machine['cpu_model']}, {machine['cpus']} cores" in printed
    assert "load average (1, 5, 15 min)" in printed
    assert "Figures marked * are absolute (ms on this machine): reported, never judged." in printed
    (table,) = [block for block in printed.split("\n\n") if block.startswith("| endpoint ")]
    header = table.splitlines()[0]
    for column in ("warm CPU med/p95 ms*", "floor ms*", "cold CPU/wall ms*", "ratio (budget)"):
        assert column in header


def test_quick_bench_meets_the_issue_round_trip_budgets(quick_bench: tuple[dict[str, Any], str]) -> None:
    results, _ = quick_bench
    by_function = {endpoint["function"]: endpoint for endpoint in results["endpoints"]}

    assert results["budgets"]["round_trips"] == ISSUE_ROUND_TRIPS
    assert {name: results["budgets"][name] for name in ISSUE_BUDGETS} == ISSUE_BUDGETS
    assert results["budgets"]["floor_work"] == FLOOR_WORK
    for function, budget in ISSUE_ROUND_TRIPS.items():
        trips = by_function[function]["round_trips"]
        assert trips["budget"] == budget
        assert trips["count"] == sum(trips["operations"].values())
        assert trips["count"] <= budget, (function, trips["operations"])
        assert trips["pass"] is True
    # A request that reads nothing from DynamoDB makes no round trip.
    assert by_function["JwksFunction"]["round_trips"]["count"] == 0
    assert by_function["NotFoundFunction"]["round_trips"]["count"] == 0
    # The code bus is called, but it is not DynamoDB.
    assert by_function["TwoFactorRequestFunction"]["round_trips"]["other_aws_calls"] == ["events.PutEvents"]
    assert by_function["OtpRequestFunction"]["round_trips"]["other_aws_calls"] == ["events.PutEvents"]


def test_quick_bench_measures_cold_starts_hashing_and_the_embedded_backend(
    quick_bench: tuple[dict[str, Any], str],
) -> None:
    results, printed = quick_bench
    by_function = {endpoint["function"]: endpoint for endpoint in results["endpoints"]}
    measured = {function: e["cold"] for function, e in by_function.items() if e["cold"] is not None}

    assert results["cold_floor"]["init_ms"] > 0
    assert results["stack_floor"]["init_ms"] > 0
    assert results["stack_floor"]["modules"] > 0
    assert {"GetAccountFunction", "CreateLoginFunction", "JwksFunction"} <= set(measured)
    for cold in measured.values():
        assert cold["init_ms"] > 0
        assert cold["ratio"] == pytest.approx(
            cold["init_cpu_ms"] / results["stack_floor"]["init_cpu_ms"], rel=0.05
        )
        wall_ratio = cold["init_ms"] / results["stack_floor"]["init_ms"]
        assert cold["wall_ratio"] == pytest.approx(wall_ratio, rel=0.05)
        assert cold["ratio_to_boto3_floor"] > 0
        assert 0 < cold["peak_mib"] <= cold["peak_mib_after_first_request"]
        assert cold["first_request_ms"] > 0
    # Create-Login's first request builds its hasher; the JWKS function never imports argon2.
    assert measured["CreateLoginFunction"]["argon2_imported"] is True
    assert measured["JwksFunction"]["argon2_imported"] is False
    assert measured["GetAccountFunction"]["argon2_after_init"] is False

    hashing = results["hashing"]
    assert hashing["hash_ms"] > 0
    assert hashing["verify_ms"] > 0
    assert {row["function"] for row in hashing["functions"]} == {
        "CreateLoginFunction",
        "AddAccountAndLoginFunction",
        "SignInFunction",
        "ChangePasswordFunction",
        "UpdateForgottenPasswordFunction",
        "ChangePasswordsFunction",
    }
    for row in hashing["functions"]:
        assert row["memory_mb"] == int(
            sam_template.template()["Resources"][row["function"]]["Properties"]["MemorySize"]
        )
        assert row["slowdown"] == pytest.approx(max(1.0, 1769 / row["memory_mb"]), abs=0.01)
        assert row["pass"] is (row["slowdown"] <= 1.0)

    (size,) = results["embedded"]
    assert size["accounts"] == 100
    assert size["items_before"] > 100
    assert size["create_login_median_ms"] > 0
    assert "Embedded backend" in printed


def test_quick_bench_times_sign_in_per_class_of_login_against_its_reference(
    quick_bench: tuple[dict[str, Any], str],
) -> None:
    """The floor work's budgets are measured and printed, tagged as pending, and not counted in
    the exit status (the quick run judges none of them)."""
    results, printed = quick_bench
    sign_in = results["sign_in"]
    native, imported = sign_in["tenants"]["native"], sign_in["tenants"]["imported"]
    probes = ["known", "unknown", "locked", "must change password"]

    assert set(native) == {"GetAccount", *probes, "signed in (right password)"}
    assert set(imported) == {"GetAccount", *probes, "imported PBKDF2 1,000,000"}
    for figures in [*native.values(), *imported.values()]:
        assert figures["median_ms"] > 0
        assert len(figures["runs_ms"]) == results["settings"]["sign_in_rounds"]
    reference = sign_in["reference"]
    assert reference["get_account_ms"] == native["GetAccount"]["median_ms"]
    assert reference["argon2id_verify_ms"] == pytest.approx(results["hashing"]["verify_ms"], abs=0.05)
    assert sign_in["reference_ms"] == pytest.approx(
        reference["get_account_ms"] + reference["argon2id_verify_ms"], abs=0.1
    )
    for kind, ratio in sign_in["vs_reference"]["ratios"].items():
        assert ratio == pytest.approx(native[kind]["median_ms"] / sign_in["reference_ms"], rel=0.002)
    assert sign_in["spread_native"]["classes"] == probes
    assert sign_in["spread_imported"]["classes"] == [*probes, "imported PBKDF2 1,000,000"]
    medians = [imported[kind]["median_ms"] for kind in sign_in["spread_imported"]["classes"]]
    assert sign_in["spread_imported"]["ratio"] == pytest.approx(max(medians) / min(medians), abs=0.001)

    caps = results["import_caps"]
    assert set(caps["verify_ms"]) == {
        "Django PBKDF2 1,000,000 iterations",
        "bcrypt cost 12",
        "Argon2id 64 MiB x 4 passes, 1 lane",
    }
    assert caps["margin"] == pytest.approx(
        caps["padded_check_ms"] / max(caps["verify_ms"].values()), abs=0.01
    )
    # The floor work takes each name out of budgets.PENDING as it lands; until then a pending
    # budget is printed, tagged, and not counted.
    pending = results["budgets"]["pending"]
    assert set(pending) <= set(FLOOR_WORK)
    assert results["pending_failures"] == []  # --quick judges no timing
    assert "Sign-in over HTTP on make run's server" in printed
    assert printed.count("[floor work, PENDING: not counted until it lands]") == len(pending)
    assert printed.count("[floor work]") == len(FLOOR_WORK) - len(pending)


def test_quick_bench_works_out_each_requests_dynamodb_request_units(
    quick_bench: tuple[dict[str, Any], str],
) -> None:
    """Each round trip's units follow DynamoDB's rules: a strongly consistent read of an item under
    4 KB is one unit, a write under 1 KB one, and a transaction costs twice per item."""
    results, _ = quick_bench
    by_function = {endpoint["function"]: endpoint for endpoint in results["endpoints"]}

    get_account = by_function["GetAccountFunction"]["capacity"]
    (read,) = get_account["calls"]
    assert read["operation"] == "GetItem"
    assert 0 < read["read_bytes"][0] < 4096
    assert (get_account["read_units"], get_account["write_units"]) == (1.0, 0.0)
    for endpoint in results["endpoints"]:
        units = endpoint["capacity"]
        assert len(units["calls"]) == endpoint["round_trips"]["count"]
        assert units["read_units"] == pytest.approx(sum(c["read_units"] for c in units["calls"]))
        assert units["write_units"] == pytest.approx(sum(c["write_units"] for c in units["calls"]))
        for call in units["calls"]:
            if call["operation"] == "TransactWriteItems":
                assert call["write_units"] >= 2 * len(call["written_bytes"])
            if call["operation"] == "BatchGetItem":
                assert call["read_units"] >= len(call["read_bytes"])
    assert by_function["TwoFactorRequestFunction"]["capacity"]["events"] == 1
    storage = results["storage"]
    assert storage["shopper_items"] >= 3  # the account, its login, an identifier per email or username
    assert storage["sign_in_items"] >= 2


def test_make_cost_prices_the_bench_run_with_its_own_round_trips_and_durations(
    quick_bench: tuple[dict[str, Any], str], tmp_path: Path
) -> None:
    """`make cost` from this run's bench-results.json: every per-request figure is the bench's
    (round trips, request units, events, the warm CPU median at the function's MemorySize), and its
    billed time adds only the documented waits."""
    from tools.bench import environment
    from tools.cost import model

    results, _ = quick_bench
    bench_json = tmp_path / "bench-results.json"
    bench_json.write_text(json.dumps(results))
    out = tmp_path / "cost.json"
    process = subprocess.run(  # noqa: S603 (this interpreter, the project's own module)
        [
            sys.executable,
            "-m",
            "tools.cost",
            "--mau",
            "100000",
            "--bench",
            str(bench_json),
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == 0, process.stderr
    estimate = json.loads(out.read_text())
    by_function = {endpoint["function"]: endpoint for endpoint in results["endpoints"]}

    assert set(estimate["per_request"]) == {
        "AppTokenFunction",
        "SignInFunction",
        "RefreshFunction",
        "GetAccountFunction",
        "TwoFactorRequestFunction",
        "TwoFactorAuthFunction",
        "ResetPasswordFunction",
        "UpdateForgottenPasswordFunction",
    }
    for function, request in estimate["per_request"].items():
        bench = by_function[function]
        memory = int(sam_template.template()["Resources"][function]["Properties"]["MemorySize"])
        assert request["memory_mb"] == memory
        assert request["round_trips"] == bench["round_trips"]["count"]
        assert request["read_units"] == bench["capacity"]["read_units"]
        assert request["write_units"] == bench["capacity"]["write_units"]
        assert request["events"] == bench["capacity"]["events"]
        assert request["compute_ms"] == pytest.approx(
            bench["warm"]["median_ms"] * environment.slowdown(memory)
        )
        calls = bench["round_trips"]["count"] + len(bench["round_trips"]["other_aws_calls"])
        assert request["aws_ms"] == pytest.approx(calls * model.AWS_CALL_MS)
        assert (
            request["duration_ms"]
            >= request["compute_ms"] + request["aws_ms"] + request["password_ms"] - 1e-9
        )
        assert request["gb_seconds"] == pytest.approx(request["billed_ms"] / 1000 * memory / 1024)
    sign_in = estimate["per_request"]["SignInFunction"]
    assert sign_in["password_ms"] == pytest.approx(
        max(results["import_caps"]["padded_check_ms"], results["hashing"]["verify_ms"])
    )
    total = sum(component["usd"] for component in estimate["components"])
    assert estimate["total_usd"] == pytest.approx(total)
    assert estimate["invocations"]["SignInFunction"] == 100_000 * model.DEFAULTS["sign_ins"]


def test_the_committed_cost_figures_agree_with_the_benchs_round_trips_and_request_units(
    quick_bench: tuple[dict[str, Any], str],
) -> None:
    """tools/cost/bench-figures.json is a full run's snapshot: its counts must be today's (they do
    not depend on timings), so a change in the store's calls comes with a refreshed snapshot."""
    from tools.cost import model

    results, _ = quick_bench
    committed = json.loads(model.FIGURES.read_text())
    now = model.figures(results)

    assert committed["measured"]["mode"] == "full"
    assert committed["measured"]["written"]
    assert set(committed["functions"]) == set(now["functions"])
    for function, figures in now["functions"].items():
        snapshot = committed["functions"][function]
        for name in ("round_trips", "other_aws_calls", "read_units", "write_units", "events"):
            assert snapshot[name] == figures[name], (function, name)
        assert snapshot["warm_cpu_ms"] > 0
        assert snapshot["cold_init_cpu_ms"] > 0
    assert committed["storage"]["shopper_items"] == now["storage"]["shopper_items"]
    assert committed["storage"]["sign_in_items"] == now["storage"]["sign_in_items"]
    assert committed["padded_check_ms"] > 0
