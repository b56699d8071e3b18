"""CI is `.ci/run` everywhere: here and in the GitHub Actions workflow, which runs the same script
with Python 3.13, Node and Java set up."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CI_RUN = (ROOT / ".ci/run").read_text()


def test_the_github_workflow_runs_ci_run_on_pull_requests_and_main() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert job["timeout-minutes"] <= 30
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs == ["bash .ci/run"]
    setups = {step["uses"].split("@")[0]: step.get("with", {}) for step in job["steps"] if "uses" in step}
    assert setups["actions/setup-python"]["python-version"] == "3.13"
    assert "actions/setup-java" in setups
    assert "actions/setup-node" in setups


def test_ci_run_installs_java_for_the_dynamodb_local_leg_and_runs_make_test() -> None:
    assert "openjdk-17-jre-headless" in CI_RUN
    assert re.search(r"^make --no-print-directory uv-wheel$", CI_RUN, re.MULTILINE)
    assert re.search(r"^make --no-print-directory dynamodb-local$", CI_RUN, re.MULTILINE)
    assert CI_RUN.rstrip().endswith("make test")


def test_ci_run_installs_chromium_and_its_driver_for_the_browser_tests() -> None:
    assert "packages+=(chromium)" in CI_RUN
    assert "packages+=(chromium-driver)" in CI_RUN
