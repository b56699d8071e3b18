"""Typed request parameters shared by several routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AfterValidator, Field

from ..domain.kernel.errors import InvalidParameter
from .response_fields import parse_response_fields

AccountId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The customer account id")]

OptionalAccountId = Annotated[int | None, Field(ge=1, le=2**31 - 1)]

RefreshTokenQuery = Annotated[
    str | None,
    Query(
        alias="refreshToken",
        max_length=512,
        description="The refresh token, as Kibo's SDKs send it; prefer the JSON body {refreshToken}",
    ),
]


def _well_formed(expression: str | None) -> str | None:
    try:
        parse_response_fields(expression)
    except InvalidParameter as error:
        # A ValueError makes it a validation error: refused with 400 before any work is done.
        raise ValueError(error.message) from None
    return expression


ResponseFields = Annotated[
    str | None,
    Query(
        alias="responseFields",
        max_length=2_000,
        description="Comma-separated fields to return, nesting in parentheses",
    ),
    AfterValidator(_well_formed),
]
"""Checked with the rest of the request, so a malformed expression is refused before any work."""
