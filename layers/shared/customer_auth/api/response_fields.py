"""Kibo's ``responseFields``: ``a,b(c,d(e))`` keeps only the named fields, at any depth."""

from typing import Any

from ..domain.kernel.errors import InvalidParameter

Selection = dict[str, "Selection | None"]
"""Lower-cased field name -> the selection inside it (``None``: the whole value)."""

MAX_EXPRESSION_LENGTH = 2_000
MAX_DEPTH = 16
"""Deeper than any Kibo body; also keeps the recursive parser far from Python's stack limit."""


def parse_response_fields(expression: str | None) -> Selection | None:
    """The selection an expression names; ``None`` (everything) when absent or empty."""
    if expression is None or not expression.strip():
        return None
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise _invalid("is too long")
    selection, position = _parse_list(expression, 0, depth=0)
    if position != len(expression):
        raise _invalid(f"is malformed at character {position + 1}")
    return selection or None


def project(value: Any, selection: Selection | None) -> Any:
    """``value`` reduced to the selected fields; lists are projected element by element."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [project(element, selection) for element in value]
    if not isinstance(value, dict):
        return value
    return {
        name: project(inner, selection[name.lower()])
        for name, inner in value.items()
        if name.lower() in selection
    }


def _parse_list(text: str, position: int, depth: int) -> tuple[Selection, int]:
    selection: Selection = {}
    while True:
        start = position
        while position < len(text) and text[position] not in ",()":
            position += 1
        name = text[start:position].strip().lower()
        inner: Selection | None = None
        if position < len(text) and text[position] == "(":
            if not name:
                raise _invalid("has '(' without a field name")
            if depth >= MAX_DEPTH:
                raise _invalid(f"nests deeper than {MAX_DEPTH} levels")
            inner, position = _parse_list(text, position + 1, depth + 1)
            if position >= len(text) or text[position] != ")":
                raise _invalid("has an unclosed '('")
            position += 1
            while position < len(text) and text[position].isspace():
                position += 1
        if name:
            selection[name] = _merge(selection[name], inner) if name in selection else inner
        if position < len(text) and text[position] == ",":
            position += 1
            continue
        if position < len(text) and text[position] == ")" and depth == 0:
            raise _invalid("has an unbalanced ')'")
        return selection, position


def _merge(existing: Selection | None, inner: Selection | None) -> Selection | None:
    """The union of two selections of one field (``None``, the whole field, absorbs any other)."""
    if existing is None or inner is None:
        return None
    merged = dict(existing)
    for name, selection in inner.items():
        merged[name] = _merge(merged[name], selection) if name in merged else selection
    return merged


def _invalid(problem: str) -> InvalidParameter:
    return InvalidParameter(f"responseFields {problem}.", field="responseFields")
