"""``python -m tools.host_template``: template.yaml for this machine's architecture.

The deployment targets arm64; a layer built for it holds arm64 wheels, which an x86_64 machine
cannot import. The built-function test imports a build of this copy instead: the same template,
code and pinned requirements, only the architecture (and so the wheels) of this machine.
"""

import platform
import sys

from .sam_template import TEMPLATE

HOST_TEMPLATE = TEMPLATE.with_name(".template-host.yaml")
"""Beside template.yaml, so its relative CodeUri and ContentUri paths still hold."""


def host_architecture() -> str:
    return "arm64" if platform.machine().lower() in {"aarch64", "arm64"} else "x86_64"


def main() -> int:
    text = TEMPLATE.read_text()
    host = host_architecture()
    replaced = (
        text.replace("Architectures: [arm64]", f"Architectures: [{host}]")
        .replace("CompatibleArchitectures: [arm64]", f"CompatibleArchitectures: [{host}]")
        .replace("BuildArchitecture: arm64", f"BuildArchitecture: {host}")
    )
    if host != "arm64" and "arm64" in replaced:
        print("template.yaml names arm64 somewhere this tool does not rewrite", file=sys.stderr)
        return 1
    HOST_TEMPLATE.write_text(replaced)
    print(HOST_TEMPLATE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
