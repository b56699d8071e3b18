"""Cold starts: a fresh Python process per run, beside a floor process (``cold_child.py``)."""

import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..sam_template import ROOT
from . import environment

CHILD = Path(__file__).with_name("cold_child.py")
LAYER = ROOT / "layers" / "shared"
FLOOR = "floor"
"""The boto3 floor process: import boto3, one DynamoDB client."""
STACK = "stack"
"""The stack floor process: the boto3 floor plus pyjwt, pydantic and powertools, each used once."""
STACK_PAUSED = "stack-paused"
"""The stack floor with the collector paused as the functions pause it: reported beside the
budget, so that the saving the pause brings is not mistaken for the functions' own code."""


@dataclass(frozen=True)
class ColdSpec:
    """What a cold process needs for one function: its code, its memory size and its sample
    request with the recorded AWS answers (for the untimed first request)."""

    function: str
    code_dir: Path
    memory_mb: int
    event: dict[str, Any]
    expected_status: int
    calls: list[dict[str, Any]]
    recorded_at: str
    """The moment the calls were recorded (ISO 8601): the first request runs at it."""


@dataclass
class ColdResult:
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def init_ms(self) -> float:
        return float(statistics.median(run["init_ms"] for run in self.runs))

    @property
    def init_cpu_ms(self) -> float:
        return float(statistics.median(run["init_cpu_ms"] for run in self.runs))

    def cpu_ratio_to(self, stack_floor: "ColdResult") -> float:
        """The median over runs of the init's CPU time over the stack floor run just before it
        (the stack floor's median when runs were not paired, as in --quick)."""
        if all("stack_cpu_ms" in run for run in self.runs):
            return float(statistics.median(run["init_cpu_ms"] / run["stack_cpu_ms"] for run in self.runs))
        return self.init_cpu_ms / stack_floor.init_cpu_ms

    def excess_cpu_ms(self) -> float | None:
        """The median over runs of the init's CPU time minus the stack floor run just before it:
        what the function's own code costs (None when runs were not paired)."""
        if not all("stack_cpu_ms" in run for run in self.runs):
            return None
        return float(statistics.median(run["init_cpu_ms"] - run["stack_cpu_ms"] for run in self.runs))

    def stages_cpu_ms(self) -> dict[str, float]:
        """The median CPU time of each stage of the init (import, settings and store, the
        Secrets Manager client, the signing keys)."""
        stages = self.runs[0].get("stages_cpu_ms", {}) if self.runs else {}
        return {
            stage: float(statistics.median(run["stages_cpu_ms"][stage] for run in self.runs))
            for stage in stages
        }

    @property
    def peak_mib(self) -> float:
        return float(max(run["peak_mib_init"] for run in self.runs))

    def any_run(self, key: str) -> bool:
        return any(run.get(key) for run in self.runs)

    def first_request_ms(self) -> float | None:
        times = [run["first_request_ms"] for run in self.runs if "first_request_ms" in run]
        return statistics.median(times) if times else None

    def peak_after_request_mib(self) -> float | None:
        peaks = [run["peak_mib_after_request"] for run in self.runs if "peak_mib_after_request" in run]
        return max(peaks) if peaks else None


def run_child(
    name: str,
    spec_file: Path | None,
    environ: dict[str, str],
    code_dir: Path,
    workdir: Path,
    flags: tuple[str, ...] = (),
) -> tuple[dict[str, Any], str]:
    """One cold process: its result and its stderr. ``name`` FLOOR or STACK runs that floor."""
    result_file = workdir / f"{name}-{os.urandom(4).hex()}.json"
    mode = name if spec_file is None else "function"
    process = subprocess.run(  # noqa: S603 (this interpreter, the bench's own script)
        [
            sys.executable,
            *flags,
            "-c",
            CHILD.read_text(),
            mode,
            str(code_dir),
            str(LAYER),
            str(spec_file or ""),
            str(result_file),
        ],
        cwd=code_dir,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if process.returncode != 0 or not result_file.exists():
        raise RuntimeError(f"cold start of {name} failed ({process.returncode}):\n{process.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    result_file.unlink()
    return result, process.stderr


def measure(
    specs: list[ColdSpec], secret: str, runs: int, *, parallel: bool
) -> tuple[dict[str, ColdResult], dict[str, ColdResult]]:
    """The floors (FLOOR, STACK and STACK_PAUSED) and each function, ``runs`` times, after an untimed run
    of each floor and of one function (the files they share are then in the page cache). Each
    round runs the boto3 floor once, and the stack floor right before every function: a
    function's run records that floor's CPU time as ``stack_cpu_ms``, so that its ratio compares
    two processes that ran moments apart (on a shared machine a minute's load drifts)."""
    compile_bytecode()
    floor_env = floor_environment(secret)
    floors = {FLOOR: ColdResult(), STACK: ColdResult(), STACK_PAUSED: ColdResult()}
    results = {spec.function: ColdResult() for spec in specs}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as temporary:
        workdir = Path(temporary)
        spec_files = {spec.function: write_spec(spec, workdir) for spec in specs}
        environs = {spec.function: function_environment(spec, secret) for spec in specs}

        def floor_run(which: str = FLOOR) -> dict[str, Any]:
            return run_child(which, None, floor_env, LAYER, workdir)[0]

        def function_run(spec: ColdSpec) -> dict[str, Any]:
            environ = environs[spec.function]
            return run_child(spec.function, spec_files[spec.function], environ, spec.code_dir, workdir)[0]

        if parallel:  # --quick: the figures only have to exist
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
                floor_runs = {w: [pool.submit(floor_run, w) for _ in range(runs)] for w in floors}
                function_runs = {
                    s.function: [pool.submit(function_run, s) for _ in range(runs)] for s in specs
                }
                for which, futures in floor_runs.items():
                    floors[which].runs = [f.result() for f in futures]
                for function, futures in function_runs.items():
                    results[function].runs = [f.result() for f in futures]
            return floors, results
        for which in floors:
            floor_run(which)
        if specs:
            function_run(specs[0])
        for _ in range(runs):
            floors[FLOOR].runs.append(floor_run(FLOOR))
            floors[STACK_PAUSED].runs.append(floor_run(STACK_PAUSED))
            for spec in specs:
                stack = floor_run(STACK)
                floors[STACK].runs.append(stack)
                run = function_run(spec)
                run["stack_cpu_ms"] = stack["init_cpu_ms"]
                results[spec.function].runs.append(run)
    return floors, results


def write_spec(spec: ColdSpec, workdir: Path) -> Path:
    spec_file = workdir / f"{spec.function}.spec.json"
    spec_file.write_text(
        json.dumps(
            {
                "event": spec.event,
                "expected_status": spec.expected_status,
                "calls": spec.calls,
                "now": spec.recorded_at,
            }
        )
    )
    return spec_file


def function_environment(spec: ColdSpec, secret: str) -> dict[str, str]:
    return environment.lambda_environment(spec.function, str(spec.code_dir), spec.memory_mb, secret)


def floor_environment(secret: str) -> dict[str, str]:
    """The floors' environment: the Globals only, and an ES256 key for the stack floor to load."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    return {
        **environment.lambda_environment(None, str(LAYER), 128, secret),
        "BENCH_FLOOR_KEY_PEM": pem.decode(),
    }


def compile_bytecode() -> None:
    """Bytecode for the service's own code, as for its dependencies, so that no timed run
    compiles (the first run after a change otherwise would)."""
    for tree in (LAYER / "customer_auth", ROOT / "functions"):
        compileall.compile_dir(tree, quiet=1)
