"""Shared model configuration and constrained field types for Kibo's camelCase JSON."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    StringConstraints,
)
from pydantic.alias_generators import to_camel

NAME_MAX = 256
"""Longest name, email, username or other short text we accept."""

TEXT_MAX = 4_000
"""Longest free text (notes, attribute values) we accept."""

PASSWORD_MAX = 1_024

Name = Annotated[str, StringConstraints(strict=True, max_length=NAME_MAX)]
Text = Annotated[str, StringConstraints(strict=True, max_length=TEXT_MAX)]


def _in_utc(value: datetime) -> datetime:
    """The same instant in UTC; one that UTC cannot hold (before year 1) is a bad value."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the instant is out of range in UTC") from None


def _iso_z(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


Timestamp = Annotated[
    AwareDatetime, Strict(False), AfterValidator(_in_utc), PlainSerializer(_iso_z, return_type=str)
]
"""An instant, taken in any offset and kept and written in UTC: ISO-8601 with milliseconds and
``Z`` as Kibo does (four-digit years, so every written date reads back)."""


def _is_none(value: object) -> bool:
    return value is None


OMIT_NONE = Field(exclude_if=_is_none)
"""For fields Kibo's schemas do not let be ``null`` (nested objects, some dates): left out of the
body when absent, as Kibo's typed SDKs expect, rather than written as ``null``."""


class WireModel(BaseModel):
    """Kibo JSON: camelCase names, unknown fields ignored (Kibo's models grow), strict scalars."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        strict=True,
        validate_assignment=False,
        # Built on first use: a function imports models it never validates (the layer's modules
        # share them), and building each costs cold-start time.
        defer_build=True,
    )

    def to_wire(self) -> dict[str, object]:
        """The JSON-ready dict with Kibo's field names."""
        return self.model_dump(mode="json", by_alias=True)
