"""Typed request parameters shared by several routes."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

AccountId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The customer account id")]
ResponseFields = Annotated[
    str | None,
    Query(
        alias="responseFields",
        max_length=2_000,
        description="Comma-separated fields to return, nesting in parentheses",
    ),
]
