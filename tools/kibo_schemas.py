"""``python -m tools.kibo_schemas KIBO_DIR``: the parts of Kibo's published OpenAPI specs our
bodies are checked against, copied into tests/kibo/schemas.json.

KIBO_DIR holds Kibo's ``openapi_customer.json`` and ``openapi_appdevelopment.json`` as Kibo
publishes them. The repository keeps only this copy, so the conformance test runs on a clean
clone: the six schemas it checks and everything they refer to, unchanged, with the spec each
came from.
"""

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "kibo" / "schemas.json"
CHECKED = {
    "openapi_customer.json": [
        "CustomerAuthTicket",
        "CustomerAccount",
        "LoginState",
        "ChangePasswordResultCollection",
    ],
    "openapi_appdevelopment.json": ["OAuthAccessTokenResponse", "AuthTicket"],
}
_REF = "#/components/schemas/"


def _referenced(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix(_REF)} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_referenced(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_referenced(item) for item in node))
    return set()


def kept_schemas(spec: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """``names`` and every schema they refer to, directly or not."""
    schemas = spec["components"]["schemas"]
    kept: dict[str, Any] = {}
    pending = list(names)
    while pending:
        name = pending.pop()
        if name not in kept:
            kept[name] = schemas[name]
            pending.extend(_referenced(schemas[name]) - kept.keys())
    return dict(sorted(kept.items()))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    kibo = Path(argv[0])
    document = {
        spec_file: {
            "components": {"schemas": kept_schemas(json.loads((kibo / spec_file).read_text()), names)}
        }
        for spec_file, names in CHECKED.items()
    }
    OUT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
