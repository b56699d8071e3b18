"""Reads template.yaml so that tests and the local server use the deployment's own definitions."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short intrinsic tags (!Ref, !GetAtt, !Sub, ...) kept as data."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@cache
def template() -> dict[str, Any]:
    with TEMPLATE.open() as stream:
        loaded: dict[str, Any] = yaml.load(stream, Loader=_CloudFormationLoader)  # noqa: S506
    return loaded


def resources() -> dict[str, dict[str, Any]]:
    """The template's resources by logical id."""
    found: dict[str, dict[str, Any]] = template()["Resources"]
    return found


@dataclass(frozen=True)
class Route:
    """One HttpApi event of one function."""

    function: str
    method: str
    path: str
    """The path in API Gateway's syntax, with {name} parameters."""
    code_dir: Path
    handler: str

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


def routes() -> list[Route]:
    found = []
    for name, resource in resources().items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        for event in properties.get("Events", {}).values():
            if event["Type"] == "HttpApi":
                found.append(
                    Route(
                        function=name,
                        method=event["Properties"]["Method"].upper(),
                        path=event["Properties"]["Path"],
                        code_dir=ROOT / properties["CodeUri"],
                        handler=properties["Handler"],
                    )
                )
    return found


def function_environment() -> dict[str, Any]:
    """The Globals environment every function gets (intrinsics left unresolved)."""
    variables: dict[str, Any] = template()["Globals"]["Function"]["Environment"]["Variables"]
    return variables


def own_environment(function: str) -> dict[str, Any]:
    """The variables one function sets beside the Globals (intrinsics left unresolved)."""
    properties = template()["Resources"][function]["Properties"]
    variables: dict[str, Any] = properties.get("Environment", {}).get("Variables", {})
    return variables


def table_properties() -> dict[str, Any]:
    """The Properties of the service's one DynamoDB table."""
    tables = [r for r in resources().values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 1, "the service has one table"
    properties: dict[str, Any] = tables[0]["Properties"]
    return properties


def table_definition() -> dict[str, Any]:
    """CreateTable arguments for the table as template.yaml declares it."""
    properties = table_properties()
    return {
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties["BillingMode"],
    }


def ttl_attribute() -> str:
    name: str = table_properties()["TimeToLiveSpecification"]["AttributeName"]
    return name
