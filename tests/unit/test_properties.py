"""Properties, checked on inputs hypothesis generates: the ``responseFields`` parser and projection,
and the request models (whatever JSON arrives, and what a valid body becomes on the wire)."""

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from customer_auth.api.response_fields import MAX_DEPTH, MAX_EXPRESSION_LENGTH, parse_response_fields, project
from customer_auth.domain.kernel.errors import InvalidParameter
from customer_auth.models.account import CustomerAccount
from customer_auth.models.auth import (
    AuthTicket2FAInfo,
    CustomerAccountAndAuthInfo,
    CustomerLoginInfo,
    CustomerPasswordInfo,
    CustomerUserAuthInfo,
    OauthAuthRequest,
    RefreshTokenBody,
)
from customer_auth.models.base import WireModel

# --- responseFields -------------------------------------------------------------------------------

Selection = dict[str, Any]

NAMES = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.", min_size=1, max_size=8
)
SELECTIONS: st.SearchStrategy[Selection] = st.recursive(
    st.dictionaries(NAMES.map(str.lower), st.none(), min_size=1, max_size=4),
    lambda inner: st.dictionaries(NAMES.map(str.lower), st.none() | inner, min_size=1, max_size=4),
    max_leaves=12,
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=5),
    max_leaves=20,
)
EXPRESSION_TEXT = st.text(alphabet=st.sampled_from("ab,() \tC") | st.characters(), max_size=60)


def render(selection: Selection, data: st.DataObject | None = None) -> str:
    """``selection`` as an expression; with ``data``, names in any case and with spaces around."""

    def name(text: str) -> str:
        if data is None:
            return text
        cased = "".join(c.upper() if data.draw(st.booleans()) else c for c in text)
        return data.draw(st.sampled_from(["", " "])) + cased + data.draw(st.sampled_from(["", " "]))

    return ",".join(
        name(key) + ("" if inner is None else f"({render(inner, data)})") for key, inner in selection.items()
    )


def depth(selection: Selection | None) -> int:
    return 0 if selection is None else 1 + max(depth(inner) for inner in selection.values())


def is_projection_of(small: Any, value: Any) -> bool:
    if isinstance(value, dict):
        return isinstance(small, dict) and all(
            k in value and is_projection_of(v, value[k]) for k, v in small.items()
        )
    if isinstance(value, list):
        return (
            isinstance(small, list) and len(small) == len(value) and all(map(is_projection_of, small, value))
        )
    return small == value


def merged(first: Any, second: Any) -> Any:
    """Two projections of one value, joined."""
    if isinstance(first, dict) and isinstance(second, dict):
        return {
            key: merged(first[key], second[key])
            if key in first and key in second
            else first.get(key, second.get(key))
            for key in {**first, **second}
        }
    if isinstance(first, list) and isinstance(second, list):
        return [merged(a, b) for a, b in zip(first, second, strict=True)]
    return first


@given(EXPRESSION_TEXT)
@example("a(b")
@example("a)")
@example("(a)")
@example("a(" * (MAX_DEPTH + 1) + ")" * (MAX_DEPTH + 1))
def test_any_expression_parses_or_is_refused_as_an_invalid_parameter(text: str) -> None:
    try:
        selection = parse_response_fields(text)
    except InvalidParameter as error:
        refused: InvalidParameter | None = error
    else:
        refused = None
        assert selection is None or isinstance(selection, dict)
    if refused is not None:
        assert refused.field == "responseFields"
        assert refused.message.startswith("responseFields ")


@given(SELECTIONS, st.data())
def test_a_rendered_selection_parses_back_to_itself_whatever_the_case_and_spacing(
    selection: Selection, data: st.DataObject
) -> None:
    expression = render(selection, data)
    assert len(expression) <= MAX_EXPRESSION_LENGTH
    assert depth(selection) <= MAX_DEPTH

    assert parse_response_fields(expression) == selection


UNBALANCED = {
    "closed at the end": "{})",
    "closed at the start": "){}",
    "opened at the start": "x({}",
    "opened at the end": "{},x(",
}


@given(SELECTIONS, st.sampled_from(sorted(UNBALANCED)))
def test_an_unbalanced_expression_is_an_invalid_parameter(selection: Selection, how: str) -> None:
    with pytest.raises(InvalidParameter, match=r"^responseFields has an un"):
        parse_response_fields(UNBALANCED[how].format(render(selection)))


@given(JSON, SELECTIONS)
def test_a_projection_keeps_only_named_fields_of_the_value(value: Any, selection: Selection) -> None:
    projected = project(value, selection)

    assert is_projection_of(projected, value)
    assert project(projected, selection) == projected
    if isinstance(value, dict):
        assert {key.lower() for key in projected} == {key.lower() for key in value} & set(selection)


@given(JSON, SELECTIONS, SELECTIONS)
def test_naming_fields_twice_returns_the_union_of_both_projections(
    value: Any, first: Selection, second: Selection
) -> None:
    both = parse_response_fields(f"{render(first)},{render(second)}")

    assert project(value, both) == merged(project(value, first), project(value, second))


@given(JSON, st.sampled_from([None, "", "   "]))
def test_no_expression_returns_the_whole_value(value: Any, expression: str | None) -> None:
    assert project(value, parse_response_fields(expression)) == value


# --- request models -------------------------------------------------------------------------------

REQUEST_MODELS: list[type[WireModel]] = [
    CustomerAccount,
    CustomerLoginInfo,
    CustomerAccountAndAuthInfo,
    CustomerUserAuthInfo,
    AuthTicket2FAInfo,
    CustomerPasswordInfo,
    RefreshTokenBody,
    OauthAuthRequest,
]
# Wire models are built on first use (defer_build); built here, so that hypothesis does not time
# a model's build as its first example's work.
for _model in REQUEST_MODELS:
    _model.model_rebuild()
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=30,
)


def field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def loose_body(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    """Any JSON, or an object with some of the model's own field names holding any JSON."""
    own = st.dictionaries(st.sampled_from(field_names(model)), ANY_JSON, max_size=8)
    return (
        ANY_JSON
        | own
        | st.builds(lambda a, b: {**a, **b}, own, st.dictionaries(st.text(max_size=12), ANY_JSON))
    )


@pytest.mark.parametrize("model", REQUEST_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=150)
@given(data=st.data())
def test_any_json_is_a_model_or_a_validation_error(model: type[WireModel], data: st.DataObject) -> None:
    body = data.draw(loose_body(model))
    raw = data.draw(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
    with contextlib.suppress(ValidationError):  # anything else escapes and fails the test
        model.model_validate(body)
    with contextlib.suppress(ValidationError):
        model.model_validate_json(json.dumps(body))
    with contextlib.suppress(ValidationError):
        model.model_validate_json(raw)


def valid_json(schema: dict[str, Any], definitions: dict[str, Any]) -> st.SearchStrategy[Any]:
    """JSON that satisfies ``schema`` (the subset of JSON Schema pydantic writes for these models)."""
    if "$ref" in schema:
        return st.deferred(lambda: valid_json(definitions[schema["$ref"].split("/")[-1]], definitions))
    if "anyOf" in schema:
        return st.one_of([valid_json(choice, definitions) for choice in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "object":
        properties = {
            name: valid_json(sub, definitions) for name, sub in schema.get("properties", {}).items()
        }
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {n: s for n, s in properties.items() if n in required},
            optional={n: s for n, s in properties.items() if n not in required},
        )
    if kind == "array":
        return st.lists(valid_json(schema["items"], definitions), max_size=min(schema.get("maxItems", 3), 3))
    if kind == "string" and schema.get("format") == "date-time":
        moments = st.datetimes(datetime(2, 1, 1), datetime(9998, 12, 31))  # any offset stays in range
        return st.builds(_iso_datetime, moments, st.integers(-14 * 60, 14 * 60))
    if kind == "string":
        return st.text(max_size=min(schema.get("maxLength", 40), 40))
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**31) - 1) + 1)
        return st.integers(low, schema.get("maximum", 2**31))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    assert kind == "null", schema
    return st.none()


def _iso_datetime(moment: datetime, offset_minutes: int) -> str:
    return moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).isoformat()


def valid_body(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    schema = model.model_json_schema(by_alias=True)
    return valid_json(schema, schema.get("$defs", {}))


def instants(value: Any) -> list[datetime]:
    """Every timestamp in a wire body, as the instant it names."""
    if isinstance(value, dict):
        return [moment for inner in value.values() for moment in instants(inner)]
    if isinstance(value, list):
        return [moment for inner in value for moment in instants(inner)]
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T" and value[4:5] == "-":
        try:
            return [datetime.fromisoformat(value).astimezone(UTC)]
        except ValueError:
            return []
    return []


@pytest.mark.parametrize("model", REQUEST_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=150)
@given(data=st.data())
def test_a_valid_body_survives_the_wire_and_every_timestamp_keeps_its_instant(
    model: type[WireModel], data: st.DataObject
) -> None:
    body = data.draw(valid_body(model))
    instance = model.model_validate(body)

    wire = instance.to_wire()
    again = model.model_validate(wire)  # what the store and a client read back
    assert again.to_wire() == wire
    assert model.model_validate_json(json.dumps(wire)) == again
    sent = [moment.replace(microsecond=moment.microsecond // 1000 * 1000) for moment in instants(body)]
    assert sorted(instants(wire)) == sorted(sent)


@pytest.mark.parametrize(
    "sent",
    [
        "2026-01-01T10:00:00+05:00",  # the instant is 05:00Z, not 10:00Z
        "0999-12-31T23:59:59Z",  # written back as "999-12-31T...", which no parser reads
    ],
)
def test_a_timestamp_a_client_sends_is_returned_as_the_same_instant(sent: str) -> None:
    account = CustomerAccount.model_validate({"customerSinceDate": sent})

    returned = account.to_wire()["customerSinceDate"]

    assert isinstance(returned, str)
    assert datetime.fromisoformat(returned) == datetime.fromisoformat(sent)
