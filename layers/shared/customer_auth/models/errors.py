"""Kibo's ``ApiError``: the body of every refusal (built in api/errors.py; this model documents it)."""

from pydantic import BaseModel, ConfigDict


class ApiErrorData(BaseModel):
    name: str
    value: str


class ApiError(BaseModel):
    model_config = ConfigDict(title="ApiError")

    message: str
    applicationName: str  # noqa: N815 - Kibo's wire names, documented as they are sent
    errorCode: str  # noqa: N815
    additionalErrorData: list[ApiErrorData]  # noqa: N815
    items: list[object]
    correlationId: str  # noqa: N815
