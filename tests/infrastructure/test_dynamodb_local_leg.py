"""`make test` runs the integration and e2e suites on DynamoDB Local where Java is, and says so
plainly where it is not."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_without_java_make_test_says_it_skips_the_dynamodb_local_leg() -> None:
    run = subprocess.run(
        ["make", "--no-print-directory", "dynamodb-local-leg", "JAVA=no-such-java-here"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "SKIPPED the DynamoDB Local leg: no java on the PATH" in run.stdout
    assert "TEST_DYNAMODB=dynamodb-local" not in run.stdout


def test_the_leg_runs_the_integration_and_e2e_suites_on_dynamodb_local() -> None:
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "test-dynamodb-local"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    (command,) = [line for line in dry.stdout.splitlines() if "pytest" in line]
    assert command.startswith("TEST_DYNAMODB=dynamodb-local ")
    assert " tests/integration tests/e2e " in command
    test_recipe = subprocess.run(
        ["make", "--no-print-directory", "-n", "test"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "SKIPPED the DynamoDB Local leg" in test_recipe.stdout  # the leg's check is part of make test
