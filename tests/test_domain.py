"""Domains are checked before sending: term shape, field names, operators, and prefix arity."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from odoo_connector.domain import OPERATORS, validate_domain
from odoo_connector.errors import InputError


@pytest.mark.parametrize(
    "domain",
    [
        [],
        [["name", "=", "Acme"]],
        [["name", "ilike", "ac"], ["is_company", "=", True]],
        ["|", ["name", "=", "a"], ["name", "=", "b"]],
        ["&", "|", ["a", "=", 1], ["b", "=", 2], "!", ["c", "=", 3]],
        [["country_id.code", "in", ["BE", "NL"]]],
        [["child_ids", "any", [["name", "=", "x"]]]],
        [[1, "=", 1]],
        [("name", "=", "tuple is fine")],
    ],
)
def test_valid_domains_pass(domain):
    # returned as sent, with tuples as lists (the JSON Odoo receives)
    assert validate_domain(domain) == json.loads(json.dumps(domain))


@pytest.mark.parametrize(
    ("domain", "says"),
    [
        ({"name": "x"}, "must be a list"),
        ([["name", "="]], "three items"),
        (["and", ["a", "=", 1]], "not a domain operator"),
        ([["name", "equals", "x"]], "not an Odoo operator"),
        ([["name", "any!", []]], "not an Odoo operator"),
        ([["bad field", "=", 1]], "not a field name"),
        ([["id", "in", 5]], "needs a list"),
        (["|", ["a", "=", 1]], "'|' needs 2 terms"),
        (["!"], "'!' needs 1 term"),
        ([["child_ids", "any", [["x", "??", 1]]]], "not an Odoo operator"),
    ],
)
def test_invalid_domains_say_where(domain, says):
    with pytest.raises(InputError) as err:
        validate_domain(domain)
    assert says in err.value.message


term = st.tuples(
    st.sampled_from(["name", "id", "partner_id.name"]),
    st.sampled_from(sorted(OPERATORS - {"in", "not in", "any", "not any"})),
    st.integers(),
).map(list)


@given(st.lists(st.one_of(term, st.sampled_from(["&", "|", "!"])), max_size=12))
def test_arity_check_matches_a_reference_evaluator(domain):
    # reference: a recursive-descent parser reading left to right (the implementation counts
    # operands right to left), with terms left over at the top level joined by an implicit AND
    def parse(items, i):
        if i >= len(items):
            raise IndexError
        if items[i] == "!":
            return parse(items, i + 1)
        if items[i] in ("&", "|"):
            return parse(items, parse(items, i + 1))
        return i + 1

    def well_formed(items):
        i = 0
        try:
            while i < len(items):
                i = parse(items, i)
        except IndexError:
            return False
        return True

    if well_formed(domain):
        validate_domain(domain)
    else:
        with pytest.raises(InputError):
            validate_domain(domain)


OPERATOR_LIST = ", ".join(sorted(OPERATORS))


@pytest.mark.parametrize(
    ("domain", "path", "message"),
    [
        (
            {"name": "x"},
            "domain",
            'The input \'domain\' must be a list of terms, e.g. [["is_company", "=", true]].',
        ),
        (
            ["and", ["a", "=", 1]],
            "domain[0]",
            "domain[0]: 'and' is not a domain operator; use '&', '|' or '!' between terms, or a term "
            "[field, operator, value].",
        ),
        (
            [["a", "=", 1], ["name", "="]],
            "domain[1]",
            "domain[1]: a term is a list of three items [field, operator, value], got ['name', '='].",
        ),
        ([5], "domain[0]", "domain[0]: a term is a list of three items [field, operator, value], got 5."),
        (
            [["a", "=", 1, 2]],
            "domain[0]",
            "domain[0]: a term is a list of three items [field, operator, value], got ['a', '=', 1, 2].",
        ),
        (
            [["bad field", "=", 1]],
            "domain[0]",
            "domain[0]: 'bad field' is not a field name (use names like 'name' or 'partner_id.country_id').",
        ),
        (
            [[2, "=", 1]],
            "domain[0]",
            "domain[0]: 2 is not a field name (use names like 'name' or 'partner_id.country_id').",
        ),
        (
            [["name", "equals", "x"]],
            "domain[0]",
            f"domain[0]: 'equals' is not an Odoo operator; use one of: {OPERATOR_LIST}.",
        ),
        (
            [["name", None, "x"]],
            "domain[0]",
            f"domain[0]: None is not an Odoo operator; use one of: {OPERATOR_LIST}.",
        ),
        (
            [["id", "not in", 5]],
            "domain[0]",
            "domain[0]: the operator 'not in' needs a list value, e.g. [1, 2].",
        ),
        (
            ["|", ["a", "=", 1]],
            "domain[0]",
            "domain[0]: '|' needs 2 terms after it, but only 1 follows.",
        ),
        (["&"], "domain[0]", "domain[0]: '&' needs 2 terms after it, but only 0 follow."),
        (["!"], "domain[0]", "domain[0]: '!' needs 1 term after it, but only 0 follow."),
        (
            [["a", "=", 1], "!", "|", ["b", "=", 2], ["c", "=", 3], "&", ["d", "=", 4]],
            "domain[5]",
            "domain[5]: '&' needs 2 terms after it, but only 1 follows.",
        ),
        (
            [["child_ids", "any", [["x", "??", 1]]]],
            "domain[0][2][0]",
            f"domain[0][2][0]: '??' is not an Odoo operator; use one of: {OPERATOR_LIST}.",
        ),
        (
            [["child_ids", "not any", {"x": 1}]],
            "domain[0][2]",
            'The input \'domain[0][2]\' must be a list of terms, e.g. [["is_company", "=", true]].',
        ),
    ],
)
def test_a_refused_domain_names_the_term_and_says_what_to_write(domain, path, message):
    with pytest.raises(InputError) as err:
        validate_domain(domain)
    assert err.value.message == message
    assert err.value.path == path
    assert err.value.exit_code == 2


def test_the_error_names_the_input_it_was_given_as():
    with pytest.raises(InputError) as err:
        validate_domain([["a", "=", 1], "x"], path="filter")
    assert err.value.path == "filter[1]"
    assert err.value.message.startswith("filter[1]: 'x' is not a domain operator")


@pytest.mark.parametrize(
    ("domain", "sent"),
    [
        ([["name", "ILIKE", "ac"]], [["name", "ilike", "ac"]]),
        ([["id", "In", (1, 2)]], [["id", "in", [1, 2]]]),
        ([["id", "not in", []]], [["id", "not in", []]]),
        ([[0, "=", 1]], [[0, "=", 1]]),
        (["|", [1, "=", 1], ["Name", "ilike", "x"]], ["|", [1, "=", 1], ["Name", "ilike", "x"]]),
        ([("child_ids", "Any", [("name", "=", "x")])], [["child_ids", "any", [["name", "=", "x"]]]]),
        (["!", "!", ["a", "=", 1]], ["!", "!", ["a", "=", 1]]),
        ([["_private_9.x_y", "=", 1]], [["_private_9.x_y", "=", 1]]),
    ],
)
def test_a_domain_is_sent_with_operators_in_lower_case_and_tuples_as_lists(domain, sent):
    assert validate_domain(domain) == sent
