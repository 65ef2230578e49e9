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
