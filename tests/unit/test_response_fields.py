"""Kibo's ``responseFields``: parsing expressions into selections and projecting bodies onto them.

``hypothesis`` is not installed in this environment, so there are no property tests here.
"""

from typing import Any

import pytest

from customer_auth.api.response_fields import MAX_EXPRESSION_LENGTH, parse_response_fields, project
from customer_auth.domain.kernel.errors import InvalidParameter

TICKET: dict[str, Any] = {
    "accessToken": "access",
    "refreshToken": "refresh",
    "userId": "u-1",
    "customerAccount": {
        "id": 1,
        "emailAddress": "ada@example.com",
        "auditInfo": {"createBy": "app", "createDate": "2026-01-01T00:00:00.000Z"},
        "contacts": [
            {"id": 7, "email": "a@example.com", "address": {"cityOrTown": "Paris", "countryCode": "FR"}},
            {"id": 8, "email": "b@example.com", "address": {"cityOrTown": "Lyon", "countryCode": "FR"}},
        ],
    },
}


def projected(expression: str | None, value: Any = None) -> Any:
    return project(TICKET if value is None else value, parse_response_fields(expression))


def refusal(expression: str) -> InvalidParameter:
    with pytest.raises(InvalidParameter) as refused:
        parse_response_fields(expression)
    return refused.value


# -- parsing -----------------------------------------------------------------------------------


def test_a_flat_list_parses_to_whole_value_selections() -> None:
    assert parse_response_fields("a,b") == {"a": None, "b": None}


def test_parentheses_nest_selections_at_any_depth() -> None:
    assert parse_response_fields("a(b(c(d)),e),f") == {
        "a": {"b": {"c": {"d": None}}, "e": None},
        "f": None,
    }


def test_names_are_lower_cased_in_the_selection() -> None:
    assert parse_response_fields("AccessToken,CUSTOMERACCOUNT(EmailAddress)") == {
        "accesstoken": None,
        "customeraccount": {"emailaddress": None},
    }


@pytest.mark.parametrize(
    "expression",
    [
        " a ( b , c ) , d ",
        "a(b,c),d",
        "  a(b ,c)  ,  d  ",
        "a (b,c) ,d",
        "\ta(b,\tc),\nd\n",
    ],
    ids=["spaces-everywhere", "no-spaces", "spaces-around-commas", "space-before-paren", "tabs-newlines"],
)
def test_whitespace_around_names_is_tolerated(expression: str) -> None:
    assert parse_response_fields(expression) == {"a": {"b": None, "c": None}, "d": None}


@pytest.mark.parametrize("after_paren", ["\t", "\n"], ids=["tab", "newline"])
def test_any_whitespace_after_a_closing_parenthesis_is_tolerated(after_paren: str) -> None:
    # Whitespace of every kind is tolerated before '(' and around names; after ')' it must be too.
    assert parse_response_fields(f"a(b){after_paren},c") == {"a": {"b": None}, "c": None}


@pytest.mark.parametrize("expression", [None, "", " ", "\t\n", ",", " , ", ",,,", " , , "])
def test_an_absent_or_empty_expression_selects_everything(expression: str | None) -> None:
    assert parse_response_fields(expression) is None
    assert projected(expression) == TICKET


def test_empty_entries_between_commas_are_skipped() -> None:
    assert parse_response_fields(",a,,b,") == {"a": None, "b": None}


@pytest.mark.parametrize(
    ("expression", "selection"),
    [
        pytest.param("a,a", {"a": None}, id="same-name-twice"),
        pytest.param("a,A", {"a": None}, id="same-name-different-case"),
        pytest.param("a(b),a(c)", {"a": {"b": None, "c": None}}, id="two-sub-selections-merge"),
        pytest.param("a(b),a", {"a": None}, id="whole-after-part-wins"),
        pytest.param("a,a(b)", {"a": None}, id="whole-before-part-wins"),
        pytest.param("a(b(x)),a(b(y))", {"a": {"b": {"x": None, "y": None}}}, id="nested-parts-merge"),
        pytest.param("a(b),a(b(x))", {"a": {"b": None}}, id="nested-whole-before-part-wins"),
        pytest.param("a(b(x)),a(b)", {"a": {"b": None}}, id="nested-whole-after-part-wins"),
        pytest.param("a(b(x(p))),a(b(x(q)))", {"a": {"b": {"x": {"p": None, "q": None}}}}, id="deep-merge"),
    ],
)
def test_a_field_named_more_than_once_gets_the_union_of_its_selections(
    expression: str, selection: dict[str, Any]
) -> None:
    assert parse_response_fields(expression) == selection


def test_duplicate_nested_selections_project_the_union_of_fields() -> None:
    body = {"a": {"b": {"x": 1, "y": 2, "z": 3}}}
    assert projected("a(b(x)),a(b(y))", body) == {"a": {"b": {"x": 1, "y": 2}}}


@pytest.mark.parametrize(
    "expression",
    ["a(b", "a)", "(a)", "a(b))", "a(b)c", "a(b)(c)", "()", ")", "(", "a,(b)", "a(b(c)", "a(b)),c", "a((b))"],
)
def test_an_unbalanced_or_malformed_expression_is_refused_naming_response_fields(expression: str) -> None:
    error = refusal(expression)
    assert error.field == "responseFields"
    assert error.message.startswith("responseFields ")


def test_an_expression_of_the_maximum_length_is_accepted() -> None:
    expression = "a" * MAX_EXPRESSION_LENGTH
    assert MAX_EXPRESSION_LENGTH == 2_000
    assert parse_response_fields(expression) == {expression: None}


@pytest.mark.parametrize(
    "expression",
    ["a" * (MAX_EXPRESSION_LENGTH + 1), "a," * 1_001, "a" + " " * MAX_EXPRESSION_LENGTH],
    ids=["one-long-name", "many-names", "padded-with-spaces"],
)
def test_an_over_long_expression_is_refused(expression: str) -> None:
    error = refusal(expression)
    assert error.field == "responseFields"
    assert "too long" in error.message


def test_deep_unclosed_nesting_within_the_length_limit_is_refused_not_a_crash() -> None:
    # 1,000 levels fit in 2,000 characters; the parser recurses once per level.
    error = refusal("a(" * (MAX_EXPRESSION_LENGTH // 2))
    assert error.field == "responseFields"


def nesting_of(selection: dict[str, Any] | None, name: str = "a") -> int:
    levels = 0
    while selection is not None and name in selection:
        selection, levels = selection[name], levels + 1
    return levels


def test_ten_levels_of_nesting_parse() -> None:
    assert nesting_of(parse_response_fields("a(" * 10 + "b" + ")" * 10)) == 10


def test_deep_balanced_nesting_within_the_length_limit_is_parsed_or_refused_never_a_crash() -> None:
    depth = (MAX_EXPRESSION_LENGTH - 1) // 3
    outcome: dict[str, Any] | InvalidParameter | None
    try:
        outcome = parse_response_fields("a(" * depth + "b" + ")" * depth)
    except InvalidParameter as refused:
        outcome = refused
    if isinstance(outcome, InvalidParameter):
        assert outcome.field == "responseFields"
    else:
        assert nesting_of(outcome) == depth


# -- projecting --------------------------------------------------------------------------------


def test_projection_keeps_only_the_named_top_level_fields() -> None:
    assert projected("accessToken,userId") == {"accessToken": "access", "userId": "u-1"}


def test_projection_follows_nesting_into_objects() -> None:
    assert projected("customerAccount(id,auditInfo(createBy))") == {
        "customerAccount": {"id": 1, "auditInfo": {"createBy": "app"}}
    }


def test_a_name_without_parentheses_keeps_the_whole_nested_value() -> None:
    assert projected("customerAccount") == {"customerAccount": TICKET["customerAccount"]}


def test_lists_are_projected_element_by_element() -> None:
    assert projected("customerAccount(contacts(email,address(cityOrTown)))") == {
        "customerAccount": {
            "contacts": [
                {"email": "a@example.com", "address": {"cityOrTown": "Paris"}},
                {"email": "b@example.com", "address": {"cityOrTown": "Lyon"}},
            ]
        }
    }


def test_a_top_level_list_is_projected_element_by_element() -> None:
    accounts = [{"id": 1, "firstName": "Ada"}, {"id": 2, "firstName": "Grace"}]
    assert projected("id", accounts) == [{"id": 1}, {"id": 2}]


def test_lists_of_lists_and_empty_lists_are_projected() -> None:
    body = {"rows": [[{"a": 1, "b": 2}], []], "empty": []}
    assert projected("rows(a),empty(a)", body) == {"rows": [[{"a": 1}], []], "empty": []}


def test_a_sub_selection_on_a_scalar_keeps_the_scalar() -> None:
    assert projected("accessToken(x),userId") == {"accessToken": "access", "userId": "u-1"}


def test_names_match_fields_case_insensitively_and_keep_the_body_spelling() -> None:
    assert projected("ACCESSTOKEN,customeraccount(EMAILADDRESS)") == {
        "accessToken": "access",
        "customerAccount": {"emailAddress": "ada@example.com"},
    }


def test_unknown_names_are_ignored_at_every_depth() -> None:
    assert projected("nope,accessToken,customerAccount(nope(deeper),id),contacts") == {
        "accessToken": "access",
        "customerAccount": {"id": 1},
    }


def test_only_unknown_names_project_to_an_empty_object() -> None:
    assert projected("nothingHere") == {}


def test_projection_keeps_the_body_order_and_does_not_modify_the_body() -> None:
    before = repr(TICKET)
    result = projected("userId,accessToken")
    assert list(result) == ["accessToken", "userId"]
    assert repr(TICKET) == before


def test_a_scalar_body_is_returned_as_is() -> None:
    assert project("text", {"a": None}) == "text"
    assert project(None, {"a": None}) is None


def test_project_with_no_selection_returns_the_value_itself() -> None:
    assert project(TICKET, None) is TICKET
