"""The Makefile as a newcomer meets it: `make help` lists what there is to run, with nothing left
unexpanded, and the first `make` on a machine without uv installs it without a warning."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _make(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (make, this repository's Makefile)
        ["make", "--no-print-directory", *arguments],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_make_help_lists_every_target_a_user_runs_with_the_everyday_ones_first() -> None:
    listed = [line.split()[0] for line in _make("help").stdout.splitlines()]

    for target in (
        "run",
        "test",
        "lint",
        "typecheck",
        "pytest",
        "clean",
        "deploy",
        "destroy",
        "smoke",
        "operator",
        "invoke",
    ):
        assert target in listed, target
    assert listed.index("run") < listed.index("test") < listed.index("uv-wheel")
    assert listed.index("uv-wheel") > len(listed) // 2  # a maintainer's chore, not a first step


def test_make_help_shows_no_make_syntax() -> None:
    shown = _make("help", "PORT=3322").stdout

    assert "$(" not in shown
    assert "on 127.0.0.1, port PORT (3000)" in shown


def test_installing_uv_looks_in_the_wheels_folder_only_when_there_is_one(tmp_path: Path) -> None:
    # Without a wheels folder pip was given --find-links to a missing path, and warned about it
    # on every first run. A dry run shows the command make would run.
    tools = tmp_path / ".tools"
    local_uv = tools / "uv" / "bin" / "uv"
    arguments = (f"TOOLS={tools}", f"UV={local_uv}", "-n", str(local_uv))

    without = _make(*arguments, f"UV_WHEELS={tmp_path / 'no-wheels'}").stdout
    (tmp_path / "wheels").mkdir()
    with_wheels = _make(*arguments, f"UV_WHEELS={tmp_path / 'wheels'}").stdout

    assert "pip install" in without
    assert "--find-links" not in without
    assert f"--find-links {tmp_path / 'wheels'}" in with_wheels
