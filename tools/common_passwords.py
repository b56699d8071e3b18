"""Regenerate the layer's common-password list from zxcvbn: ``python -m tools.common_passwords``.

zxcvbn is a dev dependency only; the layer reads the generated text file, never zxcvbn itself.
"""

from importlib.metadata import version
from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

from customer_auth.domain.kernel.identifiers import normalize_identifier

ZXCVBN_VERSION = "4.5.0"
COUNT = 10_000
TARGET = (
    Path(__file__).resolve().parents[1]
    / "layers/shared/customer_auth/domain/credentials/common_passwords.txt"
)
HEADER = (
    f'# zxcvbn {ZXCVBN_VERSION} frequency_lists.FREQUENCY_LISTS["passwords"] '
    f"(MIT licence, (c) 2016 Daniel Wolf), the first {COUNT:,} entries in rank order; "
    "regenerate with python -m tools.common_passwords"
)


def common_passwords() -> list[str]:
    """The first ``COUNT`` zxcvbn passwords, most common first, checked to be stored as the
    policy compares them (normalized, one per line, not mistakable for the header)."""
    installed = version("zxcvbn")
    if installed != ZXCVBN_VERSION:
        raise SystemExit(f"zxcvbn {installed} is installed; the header names {ZXCVBN_VERSION}.")
    passwords: list[str] = list(FREQUENCY_LISTS["passwords"][:COUNT])
    if len(set(passwords)) != COUNT:
        raise SystemExit(f"zxcvbn's list has fewer than {COUNT:,} distinct passwords.")
    for password in passwords:
        unusable = not password or "\n" in password or password.startswith("#")
        if unusable or password != normalize_identifier(password):
            raise SystemExit(f"zxcvbn's list holds {password!r}, which the file cannot store as is.")
    return passwords


def render() -> str:
    """The text of ``common_passwords.txt``."""
    return "\n".join([HEADER, *common_passwords()]) + "\n"


def main() -> None:
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {COUNT:,} passwords to {TARGET}")


if __name__ == "__main__":
    main()
