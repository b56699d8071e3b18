"""AWS's own DynamoDB emulator (DynamoDB Local), as a second backend beside moto.

DynamoDB Local is a Java program. The npm package ``amplify-dynamodb-simulator`` ships it whole
(``emulator/DynamoDBLocal.jar`` and its native ``DynamoDBLocal_lib``), so ``install`` fetches that
one tarball with ``npm pack`` (no dependencies, nothing run), checks its digest and unpacks the
emulator into a git-ignored folder. ``DynamoDbLocal`` runs it on a free loopback port, in memory
or on disk, with telemetry off (it would otherwise call home), and stops it.

``python -m tools.dynamodb_local install`` installs it; ``status`` says whether it can run here.
"""

import argparse
import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "amplify-dynamodb-simulator"
VERSION = "2.9.30"
"""The npm package's version: it ships DynamoDB Local 1.25.1."""
INTEGRITY = "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
"""The tarball's digest as the registry published it: a different tarball is refused."""
HOME = Path(os.environ.get("DYNAMODB_LOCAL_HOME", ROOT / ".tools" / "dynamodb-local"))
"""Where the emulator is unpacked (git-ignored)."""


class Unavailable(RuntimeError):
    """DynamoDB Local cannot run on this machine; the message says why."""


def java() -> str | None:
    return shutil.which("java")


def jar() -> Path:
    return HOME / "DynamoDBLocal.jar"


def missing() -> str | None:
    """Why DynamoDB Local cannot run here, or ``None`` when it can."""
    if java() is None:
        return "no java on the PATH (Debian: apt-get install openjdk-17-jre-headless)"
    if not jar().exists():
        return f"DynamoDB Local is not installed in {HOME} (make dynamodb-local)"
    return None


def install(home: Path = HOME) -> Path:
    """Fetch the pinned package with ``npm pack``, verify it, and unpack its emulator into ``home``."""
    stamp = home / ".version"
    if (home / "DynamoDBLocal.jar").exists() and stamp.exists() and stamp.read_text().strip() == VERSION:
        return home
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is needed to fetch DynamoDB Local (the amplify-dynamodb-simulator package)")
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(  # noqa: S603
            [npm, "pack", f"{PACKAGE}@{VERSION}", "--silent", "--pack-destination", scratch],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (tarball,) = Path(scratch).glob("*.tgz")
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != INTEGRITY:
            raise Unavailable(f"{tarball.name} has digest {digest}, expected {INTEGRITY}")
        unpacked = Path(scratch) / "unpacked"
        with tarfile.open(tarball) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith("package/emulator/")]
            archive.extractall(unpacked, members=members, filter="data")
        if home.exists():
            shutil.rmtree(home)
        home.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(unpacked / "package" / "emulator", home)
    (home / ".version").write_text(VERSION + "\n")
    return home


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends it SIGTERM when its parent dies, so a test run
    or server that is killed outright leaves no emulator behind."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class DynamoDbLocal:
    """One DynamoDB Local process on loopback: in memory, or keeping its data in ``db_path``.

    ``-sharedDb`` makes every credential and region see the same tables (tests, the local server
    and the operator tool sign with different fake keys).
    """

    def __init__(self, port: int = 0, db_path: Path | None = None) -> None:
        reason = missing()
        if reason:
            raise Unavailable(reason)
        self.port = port or free_port()
        self.db_path = db_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "DynamoDbLocal":
        storage = ["-dbPath", str(self.db_path)] if self.db_path else ["-inMemory"]
        if self.db_path:
            self.db_path.mkdir(parents=True, exist_ok=True)
        command = [
            str(java()),
            # The JVM's defaults size its heap to the machine; a test backend needs little.
            "-Xms64m",
            "-Xmx512m",
            "-XX:TieredStopAtLevel=1",
            f"-Djava.library.path={HOME / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar()),
            *storage,
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(self.port),
        ]
        self._process = subprocess.Popen(  # noqa: S603
            command,
            cwd=HOME,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                raise Unavailable(f"DynamoDB Local exited with {self._process.returncode}: {error}")
            if self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise Unavailable(f"DynamoDB Local did not answer on {self.endpoint} within {timeout:.0f} s")

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(self.endpoint, timeout=1).close()  # noqa: S310 (loopback)
        except urllib.error.HTTPError:
            return True  # it answers: a bare GET is a 400 from DynamoDB's protocol
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stderr:
            self._process.stderr.close()
        self._process = None

    def __enter__(self) -> "DynamoDbLocal":
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.dynamodb_local", description=__doc__)
    parser.add_argument("command", choices=["install", "status"])
    args = parser.parse_args(argv)
    if args.command == "install":
        if java() is None:
            print("no java on the PATH: DynamoDB Local would not run here; installing it anyway")
        print(f"DynamoDB Local ({PACKAGE}@{VERSION}) in {install()}")
        return 0
    reason = missing()
    print(reason or f"DynamoDB Local ({PACKAGE}@{VERSION}) in {HOME}, java at {java()}")
    return 1 if reason else 0


if __name__ == "__main__":
    sys.exit(main())
