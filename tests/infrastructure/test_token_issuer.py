"""One deploy, no second pass: with TokenIssuer left empty, the tokens' issuer is the API's own URL
(or the custom domain), as the template computes it. The template's intrinsic functions are
evaluated here for each choice of parameters, the way CloudFormation would."""

import re
from typing import Any

import pytest

from tools import sam_template

TEMPLATE = sam_template.template()
REGION = "eu-west-1"
API_ID = "a1b2c3d4e5"
"""What API Gateway names the stack's HTTP API (known only once the stack exists)."""
API_ENDPOINT = f"https://{API_ID}.execute-api.{REGION}.amazonaws.com"
"""The HttpApi's ApiEndpoint attribute for that id."""


def _evaluate(node: Any, parameters: dict[str, str]) -> Any:
    """CloudFormation's evaluation of ``node`` (the intrinsics the issuer uses) in a stack whose
    HTTP API is ``API_ID``; a reference to any other resource is an error."""
    values = {**parameters, "AWS::Region": REGION, "AWS::URLSuffix": "amazonaws.com", "HttpApi": API_ID}
    if isinstance(node, str):
        return node
    [(function, argument)] = node.items()
    if function == "Ref":
        return values[argument]
    if function == "Fn::GetAtt":
        assert argument in (["HttpApi", "ApiEndpoint"], "HttpApi.ApiEndpoint"), argument
        return API_ENDPOINT
    if function == "Fn::Sub":
        assert isinstance(argument, str)
        return re.sub(r"\$\{([^}]+)\}", lambda found: values[found.group(1)], argument)
    if function == "Fn::If":
        condition, when_true, when_false = argument
        return _evaluate(when_true if _holds(condition, parameters) else when_false, parameters)
    raise AssertionError(f"unexpected {function}")


def _holds(condition: str, parameters: dict[str, str]) -> bool:
    return bool(_condition(TEMPLATE["Conditions"][condition], parameters))


def _condition(node: Any, parameters: dict[str, str]) -> Any:
    if not isinstance(node, dict):
        return node
    [(function, argument)] = node.items()
    if function == "Condition":
        return _holds(argument, parameters)
    if function == "Fn::Equals":
        left, right = (_evaluate(part, parameters) for part in argument)
        return left == right
    if function == "Fn::Not":
        return not _condition(argument[0], parameters)
    if function == "Fn::And":
        return all(_condition(part, parameters) for part in argument)
    raise AssertionError(f"unexpected {function}")


def _parameters(**given: str) -> dict[str, str]:
    defaults = {name: str(spec.get("Default", "")) for name, spec in TEMPLATE["Parameters"].items()}
    return {**defaults, **given}


def _function_issuer(parameters: dict[str, str]) -> str:
    """What a function's TOKEN_ISSUER is, with the layer's ``{apiId}`` filled in from the events
    the API sends (customer_auth.api.runtime.token_issuer)."""
    raw = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["TOKEN_ISSUER"]
    return str(_evaluate(raw, parameters)).replace("{apiId}", API_ID)


@pytest.mark.parametrize(
    ("given", "issuer"),
    [
        ({}, API_ENDPOINT),
        (
            {"DomainName": "auth.shop.example", "CertificateArn": "arn:aws:acm:eu-west-1:1:certificate/x"},
            "https://auth.shop.example",
        ),
        ({"DomainName": "auth.shop.example"}, API_ENDPOINT),  # no certificate: no custom domain
        ({"TokenIssuer": "https://login.shop.example"}, "https://login.shop.example"),
    ],
    ids=["default-the-apis-url", "custom-domain", "domain-without-certificate", "explicit-issuer"],
)
def test_the_issuer_is_the_apis_url_unless_a_custom_domain_or_an_issuer_is_given(
    given: dict[str, str], issuer: str
) -> None:
    parameters = _parameters(**given)

    assert _function_issuer(parameters) == issuer
    assert _evaluate(TEMPLATE["Outputs"]["TokenIssuer"]["Value"], parameters) == issuer


def test_by_default_the_issuer_is_the_url_kibo_sdks_are_given() -> None:
    parameters = _parameters()

    assert TEMPLATE["Parameters"]["TokenIssuer"]["Default"] == ""
    assert _function_issuer(parameters) == _evaluate(TEMPLATE["Outputs"]["ApiUrl"]["Value"], parameters)


def _named_resources(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*map(_named_resources, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    named: set[str] = set()
    for function, argument in node.items():
        if function == "Ref":
            named.add(argument)
        elif function == "Fn::GetAtt":
            named.add(argument[0] if isinstance(argument, list) else argument.split(".")[0])
        elif function == "Fn::Sub":
            named |= {name.split(".")[0] for name in re.findall(r"\$\{([^}]+)\}", argument)}
        else:
            named |= _named_resources(argument)
    return named & set(TEMPLATE["Resources"])


def test_the_functions_issuer_names_no_resource_so_the_api_can_name_the_functions() -> None:
    # The HTTP API's routes name every function; a function naming the API back would be a
    # circular dependency, which CloudFormation refuses.
    issuer = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["TOKEN_ISSUER"]

    assert _named_resources(issuer) == set()
    assert "HttpApi" in _named_resources(TEMPLATE["Outputs"]["TokenIssuer"]["Value"])
