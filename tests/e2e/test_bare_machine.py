"""`make run` from a clean clone on a machine whose PATH has python3 but no uv: the Makefile
installs the pinned uv into the clone's .tools/uv (with python3's pip) and serves.

No network: pip installs uv from the wheel that `make uv-wheel` keeps (CI runs it), and uv builds
the clone's environment from its cache (the lock is the one this checkout was installed from).
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib import request

import pytest

from tests.e2e.conftest import free_port
from tests.support.shell import path_without_uv

ROOT = Path(__file__).resolve().parents[2]
UV_VERSION = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
WHEELS = ROOT / ".tools" / "wheels"


def _uv_wheel() -> Path | None:
    assert UV_VERSION is not None
    return next(WHEELS.glob(f"uv-{UV_VERSION.group(1)}-*.whl"), None)


pytestmark = pytest.mark.skipif(
    _uv_wheel() is None or shutil.which("git") is None,
    reason="needs git and the pinned uv's wheel in .tools/wheels (make uv-wheel; CI runs it)",
)


def _clean_clone(destination: Path) -> Path:
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(destination)], check=True)  # noqa: S603, S607
    subprocess.run(["git", "checkout", "--quiet", commit], cwd=destination, check=True)  # noqa: S603, S607
    return destination


def test_make_run_serves_from_a_clean_clone_where_only_python3_is_on_the_path(tmp_path: Path) -> None:
    clone = _clean_clone(tmp_path / "clone")
    path = path_without_uv()
    assert shutil.which("uv", path=path) is None
    assert shutil.which("python3", path=path) is not None
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(
            ("UV", "VIRTUAL_ENV", "AWS_", "TABLE_NAME", "SIGNING_KEYS", "TOKEN_", "PASSWORD_HASH")
        )
    }
    port = free_port()
    environment.update(
        {
            "PATH": path,
            "PIP_NO_INDEX": "1",  # offline: uv only from the kept wheel
            "UV_WHEELS": str(WHEELS),
            "UV_OFFLINE": "1",  # offline: every package from uv's cache
            "PORT": str(port),
        }
    )
    log = (tmp_path / "make-run.log").open("w+")
    process = subprocess.Popen(
        ["make", "run"],  # noqa: S607
        cwd=clone,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # make, uv and the server in one group, stopped together
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                pytest.fail(f"make run exited with {process.returncode}:\n{log.read()[-4000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            log.seek(0)
            pytest.fail(f"make run did not serve within 240 s:\n{log.read()[-4000:]}")

        with request.urlopen(f"http://127.0.0.1:{port}/.well-known/jwks.json", timeout=30) as answer:
            assert answer.status == 200
            assert json.loads(answer.read())["keys"]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    log.seek(0)
    output = log.read()
    assert f"uv is not on the PATH: installing uv {UV_VERSION.group(1)}" in output  # type: ignore[union-attr]
    assert (clone / ".tools" / "uv" / "bin" / "uv").exists()
    assert (clone / ".venv").exists()
    status = subprocess.run(
        ["git", "status", "--porcelain"],  # noqa: S607
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == "", "make run left files that .gitignore does not cover"
