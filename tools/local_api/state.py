"""Where a running ``make run`` can be found: a small JSON file the server writes when it is ready
and removes when it stops, naming its API, its DynamoDB endpoint, table, region and the placeholder
credentials its local AWS accepts. The operator tool reads it, so its commands work against the
local server in a shell that has no AWS configuration at all.

The file is ``.local-data/local-server.json`` (git-ignored), or ``LOCAL_SERVER_STATE``.
"""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from ..sam_template import ROOT

DEFAULT = ROOT / ".local-data" / "local-server.json"
PLACEHOLDER_KEY = "local"
"""The AWS keys of the local DynamoDB and Secrets Manager: moto and DynamoDB Local check none."""


def path() -> Path:
    """The state file this environment uses."""
    return Path(os.environ.get("LOCAL_SERVER_STATE") or DEFAULT)


@dataclass(frozen=True)
class LocalServer:
    pid: int
    api: str
    dynamodb: str
    table: str
    region: str
    access_key_id: str
    secret_access_key: str


def write(server: LocalServer, where: Path) -> None:
    """Publish ``server`` atomically: a reader sees the old file or the new one, never half."""
    where.parent.mkdir(parents=True, exist_ok=True)
    partial = where.with_name(f".{where.name}.{server.pid}")
    partial.write_text(json.dumps(asdict(server), indent=2) + "\n")
    partial.replace(where)


def running(where: Path) -> LocalServer | None:
    """The server the file names, if its process is still alive (a killed server leaves it)."""
    try:
        server = LocalServer(**json.loads(where.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    return server if _alive(server.pid) else None


def remove(where: Path, pid: int) -> None:
    """Remove the file if it still names ``pid`` (another server may have started since)."""
    try:
        if json.loads(where.read_text()).get("pid") == pid:
            where.unlink()
    except (OSError, ValueError, AttributeError):
        return


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True
