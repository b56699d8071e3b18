"""A second `make run` on a port that is taken says so in one line, naming PORT=, instead of a
traceback."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _serve(**variables: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "tools.local_api"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("variable", ["PORT", "EMBEDDED_AWS_PORT"])
def test_a_busy_port_is_one_line_that_names_the_variable_that_moves_it(variable: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            other = free.getsockname()[1]
        ports = {"PORT": str(other), "EMBEDDED_AWS_PORT": str(other + 1)} | {variable: str(port)}

        run = _serve(**ports)

    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr.splitlines() == [
        f"make run: port {port} on 127.0.0.1 is already in use (another make run?); "
        f"choose another with {variable}=, e.g. make run {variable}={port + 1}"
    ]
