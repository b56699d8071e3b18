"""`make cost`: offline, in seconds, from the committed bench figures, template.yaml and the dated
price file; and the DynamoDB sizing rules the bench's request units rest on."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tools.bench import capacity
from tools.cost import model

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = [
    "Lambda requests",
    "Lambda duration (arm64)",
    "HTTP API",
    "DynamoDB reads",
    "DynamoDB writes",
    "DynamoDB storage and PITR",
    "Secrets Manager",
    "EventBridge",
    "SES (the tenant's mailer)",
]


def run_cost(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (this interpreter, the project's own module)
        [sys.executable, "-m", "tools.cost", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_make_cost_for_100000_shoppers_runs_offline_in_seconds_and_prints_each_component(
    tmp_path: Path,
) -> None:
    out = tmp_path / "cost.json"
    started = time.perf_counter()
    process = run_cost("--mau", "100000", "--json", str(out))
    elapsed = time.perf_counter() - started

    assert process.returncode == 0, process.stderr
    assert elapsed < 10
    estimate = json.loads(out.read_text())
    assert [c["component"] for c in estimate["components"]] == COMPONENTS
    assert all(c["usd"] >= 0 for c in estimate["components"])
    assert estimate["total_usd"] == pytest.approx(sum(c["usd"] for c in estimate["components"]))
    for component in estimate["components"]:
        assert component["component"] in process.stdout
    assert f"${estimate['total_usd']:,.2f}" in process.stdout
    # Cognito for the same MAU: 90,000 billable MAUs on each plan.
    assert estimate["cognito"]["essentials_usd"] == pytest.approx(90_000 * 0.015)
    assert estimate["cognito"]["lite_usd"] == pytest.approx(90_000 * 0.0055)
    assert "Essentials $1,350.00, Lite $495.00" in process.stdout


def test_the_per_shopper_counts_are_options_that_change_the_estimate(tmp_path: Path) -> None:
    defaults, more = tmp_path / "defaults.json", tmp_path / "more.json"
    assert run_cost("--mau", "10000", "--json", str(defaults)).returncode == 0
    assert run_cost("--mau", "10000", "--sign-ins", "8", "--resets", "1", "--json", str(more)).returncode == 0
    base, changed = json.loads(defaults.read_text()), json.loads(more.read_text())

    assert base["invocations"]["SignInFunction"] == 10_000 * model.DEFAULTS["sign_ins"]
    assert changed["invocations"]["SignInFunction"] == 80_000
    assert changed["invocations"]["ResetPasswordFunction"] == 10_000
    assert changed["total_usd"] > base["total_usd"]
    help_text = run_cost("--help").stdout
    for option in ("--mau", "--sign-ins", "--refreshes", "--account-reads", "--two-factor-codes", "--resets"):
        assert option in help_text


def test_cognito_lite_is_priced_by_its_tiers() -> None:
    prices = model.load_json(model.PRICES)
    lite = prices["cognito"]["lite"]

    assert model.cognito_price(10_000, lite) == 0
    assert model.cognito_price(1_000_000, lite) == pytest.approx(90_000 * 0.0055 + 900_000 * 0.0046)
    assert model.cognito_price(10_000, prices["cognito"]["essentials"]) == 0


def test_every_price_is_dated_and_names_its_source() -> None:
    prices = model.load_json(model.PRICES)

    assert prices["region"] == "us-east-1"
    assert prices["written"]
    for name, entry in prices["prices"].items():
        assert entry["usd"] > 0, name
        assert entry["source"].startswith("https://aws.amazon.com/"), name
        assert entry["since"], name
    assert prices["cognito"]["source"] == "https://aws.amazon.com/cognito/pricing/"
    assert prices["prices"]["dynamodb_write_request_unit"]["usd"] == 0.625e-6  # after the Nov 2024 cut
    assert prices["prices"]["dynamodb_read_request_unit"]["usd"] == 0.125e-6


def test_the_docs_table_prints_each_mau_column() -> None:
    process = run_cost("--table", "10000,100000,1000000")

    assert process.returncode == 0, process.stderr
    header = process.stdout.splitlines()[0]
    for column in ("10,000 MAU", "100,000 MAU", "1,000,000 MAU"):
        assert column in header
    assert "Cognito Essentials" in process.stdout


def test_refreshing_the_figures_refuses_a_quick_bench_run(tmp_path: Path) -> None:
    quick = tmp_path / "bench-results.json"
    quick.write_text(json.dumps({"mode": "quick"}))

    process = run_cost("--refresh-figures", str(quick))

    assert process.returncode == 2
    assert "quick" in process.stderr


# -- DynamoDB's sizing rules ---------------------------------------------------------------------


def test_item_sizes_follow_dynamodbs_rules() -> None:
    # Names count; a string is its UTF-8 length; a number about a byte per two digits plus one.
    assert capacity.item_size({"pk": {"S": "ab"}}) == 4
    assert capacity.item_size({"n": {"N": "12345"}}) == 1 + 4
    assert capacity.item_size({"é": {"S": "é"}}) == 4
    assert capacity.item_size({"b": {"BOOL": True}, "z": {"NULL": True}}) == 4
    # A map: 3 bytes, and each entry's name, value and one byte.
    assert capacity.item_size({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + (1 + 2 + 1)
    assert capacity.item_size({"l": {"L": [{"S": "x"}, {"S": "y"}]}}) == 1 + 3 + 2 * (1 + 1)
    assert capacity.item_size({"s": {"SS": ["ab", "c"]}}) == 1 + 3


def test_request_units_round_each_item_and_double_transactions() -> None:
    big = {"pk": {"S": "A"}, "sk": {"S": "B"}, "blob": {"S": "x" * 5000}}
    small = {"pk": {"S": "C"}, "sk": {"S": "D"}}
    table = capacity.Snapshots([big, small], [big, small])
    key = {"pk": {"S": "A"}, "sk": {"S": "B"}}

    strong = capacity.call_units("GetItem", {"Key": key, "ConsistentRead": True}, {}, table)
    eventual = capacity.call_units("GetItem", {"Key": key}, {}, table)
    nothing = {"Key": {"pk": {"S": "X"}, "sk": {"S": "Y"}}, "ConsistentRead": True}
    missing = capacity.call_units("GetItem", nothing, {}, table)
    put = capacity.call_units("PutItem", {"Item": big}, {}, table)
    transaction = capacity.call_units(
        "TransactWriteItems",
        {"TransactItems": [{"Put": {"Item": small}}, {"ConditionCheck": {"Key": key}}]},
        {},
        table,
    )

    assert strong.read_units == 2  # 5 KB: two 4 KB blocks
    assert eventual.read_units == 1
    assert missing.read_units == 1  # a read of nothing still costs the minimum
    assert put.write_units == 5  # 5 KB: five 1 KB blocks
    assert transaction.write_units == 2
    assert transaction.read_units == 4
