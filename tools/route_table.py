"""``python -m tools.route_table``: template.yaml's paths and the methods each serves, written to
functions/not_found/routes.json, where the catch-all reads them to answer 405 (a known path asked
with another method) rather than 404 (no such path).

API Gateway gives the catch-all both kinds of request, so it needs the table; shipping it as a small
JSON file keeps the template (and a YAML parser) out of the function. ``make openapi`` writes it
beside the OpenAPI document; ``--check`` exits 1 when the committed file differs from the template.
"""

import argparse
import json
import sys
from collections.abc import Iterable

from . import openapi, sam_template
from .sam_template import Route

TABLE = sam_template.ROOT / "functions" / "not_found" / "routes.json"


def table(routes: Iterable[Route] | None = None) -> dict[str, list[str]]:
    """Each path template of the routes (the template's by default) and its methods, sorted
    (``ANY /{proxy+}``, the catch-all itself, left out). A path parameter every operation of the
    path reads as an integer (in the committed OpenAPI document) is written ``{name:int}``."""
    methods: dict[str, set[str]] = {}
    for route in sam_template.routes() if routes is None else routes:
        if route.method == "ANY":
            continue
        methods.setdefault(route.path, set()).add(route.method)
    integers = _integer_parameters()
    return {_typed(path, integers.get(path, set())): sorted(found) for path, found in sorted(methods.items())}


def _integer_parameters() -> dict[str, set[str]]:
    """Per path of the OpenAPI document, the path parameters that all its operations read as integers."""
    if not openapi.DOCUMENT.is_file():
        return {}
    document = json.loads(openapi.DOCUMENT.read_text())
    found: dict[str, set[str]] = {}
    for path, item in document["paths"].items():
        kinds: dict[str, set[str]] = {}
        for method in openapi.METHODS:
            for parameter in item.get(method, {}).get("parameters", []):
                if parameter.get("in") == "path":
                    kinds.setdefault(parameter["name"], set()).add(parameter["schema"].get("type", ""))
        found[path] = {name for name, types in kinds.items() if types == {"integer"}}
    return found


def _typed(path: str, integers: set[str]) -> str:
    for name in integers:
        path = path.replace(f"{{{name}}}", f"{{{name}:int}}")
    return path


def render(found: dict[str, list[str]]) -> str:
    """JSON, one path a line."""
    lines = [f"  {json.dumps(path)}: {json.dumps(methods)}" for path, methods in found.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.route_table", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed table is stale")
    args = parser.parse_args(argv)
    text = render(table())
    relative = TABLE.relative_to(sam_template.ROOT) if TABLE.is_relative_to(sam_template.ROOT) else TABLE
    if args.check:
        if not TABLE.is_file() or TABLE.read_text() != text:
            print(f"{relative} differs from template.yaml's routes: run make openapi", file=sys.stderr)
            return 1
        print(f"{relative} is up to date")
        return 0
    TABLE.write_text(text)
    print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
