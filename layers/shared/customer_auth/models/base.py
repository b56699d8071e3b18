"""Shared model configuration and constrained field types for Kibo's camelCase JSON."""

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, PlainSerializer, Strict, StringConstraints
from pydantic.alias_generators import to_camel

NAME_MAX = 256
"""Longest name, email, username or other short text we accept."""

TEXT_MAX = 4_000
"""Longest free text (notes, attribute values) we accept."""

PASSWORD_MAX = 1_024

Name = Annotated[str, StringConstraints(strict=True, max_length=NAME_MAX)]
Text = Annotated[str, StringConstraints(strict=True, max_length=TEXT_MAX)]


def _iso_z(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


Timestamp = Annotated[AwareDatetime, Strict(False), PlainSerializer(_iso_z, return_type=str)]
"""A UTC instant, written as ISO-8601 with milliseconds and ``Z`` as Kibo does."""


class WireModel(BaseModel):
    """Kibo JSON: camelCase names, unknown fields ignored (Kibo's models grow), strict scalars."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        strict=True,
        validate_assignment=False,
    )

    def to_wire(self) -> dict[str, object]:
        """The JSON-ready dict with Kibo's field names."""
        return self.model_dump(mode="json", by_alias=True)
