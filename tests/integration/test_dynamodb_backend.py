"""The suites run on the DynamoDB they name: moto in process, or (``TEST_DYNAMODB=dynamodb-local``,
``make test-dynamodb-local``) AWS's own emulator, so a green DynamoDB Local leg means the service
really talked to DynamoDB Local."""

from typing import Any

import pytest
from botocore.exceptions import ClientError

from customer_auth.api import runtime
from tests.support.fixtures import DYNAMODB_BACKEND, World
from tools import local_env


def test_the_service_and_the_tests_use_the_backend_the_run_names(
    world: World, dynamodb_backend: str | None
) -> None:
    created = world.add_account()
    service_client: Any = runtime.store()._db
    answer = service_client.list_tables()
    served_by = answer["ResponseMetadata"]["HTTPHeaders"].get("server", "")
    if DYNAMODB_BACKEND == "dynamodb-local":
        assert service_client.meta.endpoint_url == dynamodb_backend
        assert served_by.startswith("Jetty"), served_by  # DynamoDB Local's HTTP server
    else:
        assert dynamodb_backend is None
        assert "Jetty" not in served_by
    assert world.table_name in answer["TableNames"]
    stored = [item for item in world.scan() if item["sk"]["S"] == "ACCOUNT"]
    assert [item["pk"]["S"] for item in stored] == [f"ACCOUNT#100#{created['id']}"]


@pytest.mark.skipif(DYNAMODB_BACKEND != "dynamodb-local", reason="moto accepts what DynamoDB refuses")
def test_dynamodb_local_refuses_what_moto_accepts(world: World) -> None:
    """Why the leg exists: moto took a table called ``t``; DynamoDB wants 3 to 255 characters."""
    with pytest.raises(ClientError) as refused:
        local_env.create_table(world.dynamodb, "t")
    assert refused.value.response["Error"]["Code"] == "ValidationException"
