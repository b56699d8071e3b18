"""Why a cold start costs what it costs: ``python -X importtime`` of each function's init, with
the stack floor's own imports (boto3, pyjwt, pydantic, powertools' resolver and their
dependencies) taken out, summed by top-level package."""

import statistics
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import cold
from .cold_child import INIT_DONE

_PREFIX = "import time:"


@dataclass(frozen=True)
class Imported:
    module: str
    self_us: int
    cumulative_us: int
    depth: int


def parse(stderr: str) -> list[Imported]:
    """The modules the init imported (the lines before the child's end-of-init marker)."""
    rows = []
    for line in stderr.split(INIT_DONE, 1)[0].splitlines():
        if not line.startswith(_PREFIX) or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len(_PREFIX) :].split("|")
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append(Imported(name.strip(), int(self_us), int(cumulative_us), depth))
    return rows


def profile(specs: list[cold.ColdSpec], secret: str) -> dict[str, Any]:
    """One ``-X importtime`` run of the floor and of each function. Times under importtime run
    higher than without it; the shares are what to read."""
    cold.compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as temporary:
        workdir = Path(temporary)
        _, floor_err = cold.run_child(
            cold.STACK, None, cold.floor_environment(secret), cold.LAYER, workdir, ("-X", "importtime")
        )
        floor_modules = {row.module for row in parse(floor_err)}
        functions: dict[str, Any] = {}
        for spec in specs:
            _, stderr = cold.run_child(
                spec.function,
                cold.write_spec(spec, workdir),
                cold.function_environment(spec, secret),
                spec.code_dir,
                workdir,
                ("-X", "importtime"),
            )
            rows = parse(stderr)
            extra = [row for row in rows if row.module not in floor_modules]
            packages: Counter[str] = Counter()
            for row in extra:
                packages[row.module.split(".")[0]] += row.self_us
            functions[spec.function] = {
                "modules": len(rows),
                "modules_above_floor": len(extra),
                "self_ms_above_floor": round(sum(row.self_us for row in extra) / 1000, 1),
                "packages_ms": {name: round(us / 1000, 1) for name, us in packages.most_common()},
            }
    names = {name for result in functions.values() for name in result["packages_ms"]}
    shared = {
        name: {
            "median_ms": round(
                statistics.median(result["packages_ms"].get(name, 0.0) for result in functions.values()), 1
            ),
            "functions": sum(1 for result in functions.values() if name in result["packages_ms"]),
        }
        for name in names
    }
    ranked = dict(sorted(shared.items(), key=lambda item: -float(item[1]["median_ms"])))
    floor_rows = parse(floor_err)
    return {
        "floor_modules": len(floor_modules),
        "floor_self_ms": round(sum(row.self_us for row in floor_rows) / 1000, 1),
        "packages_above_floor": ranked,
        "functions": functions,
    }
