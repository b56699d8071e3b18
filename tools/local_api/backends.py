"""Which DynamoDB ``make run`` uses, and where its data lives.

- ``moto`` (the default): the embedded moto server, in memory; gone when the server stops.
- ``dynamodb-local``: AWS's own emulator (``tools.dynamodb_local``) keeping its data on disk in a
  git-ignored folder, with the signing keys' seed beside it, so accounts, logins, sessions and the
  tokens already handed out survive a restart.
- ``AWS_ENDPOINT_URL_DYNAMODB`` set: that DynamoDB, whoever runs it.
"""

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import dynamodb_local

KINDS = ("moto", "dynamodb-local")
DATA = Path(os.environ.get("LOCAL_DATA_DIR", dynamodb_local.ROOT / ".local-data"))
"""Where ``make run DB=dynamodb-local`` keeps its data (git-ignored)."""


@dataclass
class Backend:
    endpoint: str
    description: str
    """What the banner says: which DynamoDB, and where its data is kept."""
    signing_secret: str | None = None
    """The signing keys' secret string to reuse, when the data outlives the process."""
    stop: Callable[[], None] = lambda: None


def dynamodb_backend(kind: str, embedded_endpoint: str, data: Path = DATA) -> Backend:
    external = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    if external:
        return Backend(external, f"DynamoDB at {external} (AWS_ENDPOINT_URL_DYNAMODB)")
    if kind == "moto":
        return Backend(embedded_endpoint, f"embedded moto at {embedded_endpoint}, in memory")
    if kind != "dynamodb-local":
        raise ValueError(f"DB is one of {', '.join(KINDS)}, not {kind!r}")
    emulator = dynamodb_local.DynamoDbLocal(db_path=data / "dynamodb-local").start()
    return Backend(
        emulator.endpoint,
        f"DynamoDB Local at {emulator.endpoint}, data kept in {data} (delete it to start afresh)",
        signing_secret=_kept_signing_secret(data / "signing-keys.json"),
        stop=emulator.stop,
    )


def _kept_signing_secret(path: Path) -> str:
    """The local signing keys' secret, made once and kept with the data: tokens signed before a
    restart still verify after it. Readable by its owner only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            json.dump({"seed": secrets.token_urlsafe(48)}, stream)
    return path.read_text()
