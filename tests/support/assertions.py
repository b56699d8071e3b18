"""What the integration tests check on every reply: success bodies, Kibo errors, Kibo's times."""

from datetime import datetime
from typing import Any

from tests.support.fixtures import HttpResult


def kibo_time(moment: datetime) -> str:
    """A timestamp as the service writes it: ISO-8601 UTC, milliseconds, ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ok(result: HttpResult) -> dict[str, Any]:
    assert result.status == 200, result.text
    body: dict[str, Any] = result.json
    return body


def assert_error(result: HttpResult, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """A refusal in Kibo's ``ApiError`` shape, naming ``field`` when given."""
    assert result.status == status, result.text
    body: dict[str, Any] = result.json
    assert body["errorCode"] == code, body
    assert body["applicationName"] == "customer-auth"
    if field is not None:
        assert {"name": "field", "value": field} in body["additionalErrorData"], body
    return body
