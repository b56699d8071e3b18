"""The layer's import contracts (pyproject.toml's [tool.importlinter], which `make lint` runs) hold,
and each fails the build on the wrong arrow it is there to stop: a copy of the layer with one bad
import (or one unplaced capability folder) breaks the contract named for it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "shared" / "customer_auth"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

FLOORS = "The layer's floors"
CAPABILITIES = "A capability uses those below it"
SIGN_IN_METHODS = "Each way of signing in stands alone"
PURE_DOMAIN = "The domain knows nothing of AWS, HTTP or the adapters"
NO_CIRCLES = "No import circle anywhere in the layer"


def _lint_imports(layer_parent: Path | None = None) -> tuple[int, str]:
    """lint-imports with the project's contracts, on the layer or on a copy of it under
    ``layer_parent`` (first on the path, so it is the ``customer_auth`` analysed)."""
    environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    if layer_parent is not None:
        environment["PYTHONPATH"] = str(layer_parent)
    process = subprocess.run(  # noqa: S603 (the environment's own lint-imports)
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return process.returncode, " ".join((process.stdout + process.stderr).split())


def test_the_layer_keeps_every_contract() -> None:
    code, output = _lint_imports()
    assert code == 0, output
    for contract in (FLOORS, CAPABILITIES, SIGN_IN_METHODS, PURE_DOMAIN, NO_CIRCLES):
        assert contract in output
    assert "5 kept, 0 broken" in output


@pytest.mark.parametrize(
    ("module", "wrong_import", "broken"),
    [
        pytest.param("domain/kernel/clock.py", "import boto3", PURE_DOMAIN, id="domain-imports-boto3"),
        pytest.param(
            "domain/accounts/service.py",
            "from ...api import settings",
            PURE_DOMAIN,
            id="domain-imports-the-api",
        ),
        pytest.param(
            "models/tenant.py",
            "from ..domain.tenants.tenant import Tenant",
            FLOORS,
            id="wire-models-import-the-domain",
        ),
        pytest.param(
            "domain/logins/login.py",
            "from ..sessions import records",
            CAPABILITIES,
            id="a-capability-imports-one-above-it",
        ),
        pytest.param(
            "domain/apps/provisioning.py",
            "from ..signin import records",
            CAPABILITIES,
            id="a-capability-imports-one-beside-it",
        ),
        pytest.param(
            "domain/signin/password.py",
            "from . import twofactor",
            SIGN_IN_METHODS,
            id="one-sign-in-method-imports-another",
        ),
        pytest.param(
            "domain/credentials/passwords.py",
            "from . import management",
            NO_CIRCLES,
            id="two-modules-import-each-other",
        ),
    ],
)
def test_a_wrong_import_breaks_the_contract_that_forbids_it(
    tmp_path: Path, module: str, wrong_import: str, broken: str
) -> None:
    copy = tmp_path / "customer_auth"
    shutil.copytree(LAYER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{wrong_import}  # noqa\n")
    code, output = _lint_imports(tmp_path)
    assert code == 1, output
    assert f"{broken}" in output.split("Broken contracts")[-1], output


def test_a_capability_folder_left_out_of_the_contract_breaks_it(tmp_path: Path) -> None:
    """A new capability must be given its place among the others (the contract is exhaustive)."""
    copy = tmp_path / "customer_auth"
    shutil.copytree(LAYER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "domain" / "passkeys").mkdir()
    (copy / "domain" / "passkeys" / "__init__.py").write_text('"""Passkeys."""\n')
    code, output = _lint_imports(tmp_path)
    assert code == 1, output
    assert "passkeys" in output, output
