"""What the user-facing docs say, held to what the code does: one wording of the import caps, built
from the caps themselves; the operator tool shown as it works everywhere; nothing a reader cannot
follow (an "issue 15")."""

import re
from pathlib import Path

import pytest

from customer_auth.domain.credentials import passwords

ROOT = Path(__file__).resolve().parents[2]
USER_DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]


def _text(path: Path) -> str:
    """The file with its line breaks and indentation folded, as a reader reads it."""
    return re.sub(r"\s+", " ", path.read_text())


IMPORT_CAPS = (
    f"bcrypt: cost at most {passwords.MAX_BCRYPT_COST}; "
    f"Argon2: at most {passwords.MAX_ARGON2_MEMORY_KIB // 1024} MiB, "
    f"{passwords.MAX_ARGON2_TIME_COST} passes, {passwords.MAX_ARGON2_WORK_KIB // 1024} MiB x passes "
    f"and {passwords.MAX_ARGON2_PARALLELISM} lanes; "
    f"Django pbkdf2_sha256: at most {passwords.MAX_PBKDF2_ITERATIONS:,} iterations"
)
"""The caps as the 400 for a costlier hash words them (customer_auth.domain.credentials.passwords)."""


@pytest.mark.parametrize("name", ["sign-in.md", "endpoints.md", "differences-from-kibo.md"])
def test_each_page_that_states_the_import_caps_states_them_in_the_one_wording(name: str) -> None:
    assert IMPORT_CAPS in _text(ROOT / "docs" / name)


def test_no_page_words_the_import_caps_another_way() -> None:
    other_wordings = re.compile(r"bcrypt (cost )?(up to )?12|PBKDF2 1,000,000|64 MiB x 4 passes\)")
    for page in USER_DOCS:
        assert not other_wordings.search(_text(page)), page.name


def test_user_facing_docs_refer_to_no_issue_numbers() -> None:
    for page in USER_DOCS:
        assert not re.search(r"\bissues? #?\d+", page.read_text(), re.IGNORECASE), page.name


def test_the_operator_tool_is_shown_as_it_runs_without_uv_on_the_path() -> None:
    # `uv run ...` stopped at "uv: command not found" where the Makefile's own uv was in .tools;
    # `tenant put` replaced a whole tenant.
    for page in USER_DOCS:
        text = page.read_text()
        assert "uv run python -m tools.operator" not in text, page.name
        assert "AWS_ENDPOINT_URL_DYNAMODB=<embedded endpoint>" not in text, page.name
        assert not re.search(r"operator[^\n]*tenant put", text), page.name


def test_operations_describes_the_smoke_check_that_deletes_what_it_made() -> None:
    operations = _text(ROOT / "docs" / "operations.md")

    assert "no delete-account operation" not in operations
    assert "it deletes the account (`deleteAccount`" in operations
    assert "no delete-account operation" not in (ROOT / "tests/sdk/smoke.js").read_text()
