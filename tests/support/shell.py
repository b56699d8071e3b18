"""The shell a user pastes a command into: no AWS configuration and no uv."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def path_without_uv() -> str:
    """This PATH less every folder that holds a uv, and less this checkout's virtualenv (its python
    has no pip); python3, make, git and node stay."""
    kept = []
    for folder in os.environ["PATH"].split(os.pathsep):
        if not folder or (Path(folder) / "uv").exists() or Path(folder).resolve().is_relative_to(ROOT):
            continue
        kept.append(folder)
    return os.pathsep.join(kept)


def bare_shell(home: Path) -> dict[str, str]:
    """An environment with nothing but a PATH without uv and an empty HOME: no AWS variable, no
    AWS configuration file, no region."""
    return {
        "PATH": path_without_uv(),
        "HOME": str(home),
        # botocore's last place to look for credentials is the EC2 instance metadata service: off,
        # so that a test sends nothing anywhere, whatever machine it runs on.
        "AWS_EC2_METADATA_DISABLED": "true",
    }
