"""Provisioning a local (moto or other) DynamoDB table and signing-key secret from the template."""

import json
import secrets
from typing import Any

from . import sam_template


def create_table(dynamodb: Any, table_name: str) -> None:
    """Create the service table exactly as template.yaml defines it, TTL included."""
    dynamodb.create_table(TableName=table_name, **sam_template.table_definition())
    dynamodb.get_waiter("table_exists").wait(TableName=table_name)
    dynamodb.update_time_to_live(
        TableName=table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": sam_template.ttl_attribute()},
    )


def drop_table(dynamodb: Any, table_name: str) -> None:
    """Delete the table if it exists (a persistent DynamoDB, such as DynamoDB Local, keeps it)."""
    try:
        dynamodb.delete_table(TableName=table_name)
    except dynamodb.exceptions.ResourceNotFoundException:
        return
    dynamodb.get_waiter("table_not_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.1})


def create_signing_secret(secretsmanager: Any, name: str, secret: str | None = None) -> str:
    """A secret shaped like the one CloudFormation generates: one random seed (or ``secret``)."""
    secret = secret or json.dumps({"seed": secrets.token_urlsafe(48)})
    response = secretsmanager.create_secret(Name=name, SecretString=secret)
    return str(response["ARN"])
