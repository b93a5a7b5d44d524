"""The conditional element's MongoDB-style interpreter: parsing, evaluation, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from aigw.routing.conditions import ConditionError, RequestFacts, evaluate, parse

FACTS = RequestFacts(
    body={"model": "dynamic/support", "max_tokens": 512, "temperature": 0.2, "user": "u-1",
          "messages": [{"role": "system", "content": "be brief"}],
          "metadata": {"team": "body-team", "plan": "ignored-when-header-has-it"}},
    metadata={"plan": "free", "tier": 2, "beta": True},
    headers={"x-region": "eu", "user-agent": "sdk/1.0"},
)


def holds(conditions: dict[str, Any], facts: RequestFacts = FACTS) -> bool:
    return evaluate(parse(conditions), facts)


@pytest.mark.parametrize(("conditions", "expected"), [
    ({"metadata.plan": {"$eq": "free"}}, True),
    ({"metadata.plan": "free"}, True),                       # shorthand for $eq
    ({"metadata.plan": {"$eq": "paid"}}, False),
    ({"metadata.plan": {"$ne": "paid"}}, True),
    ({"metadata.plan": {"$in": ["free", "trial"]}}, True),
    ({"metadata.plan": {"$nin": ["free", "trial"]}}, False),
    ({"metadata.tier": {"$gt": 1}}, True),
    ({"metadata.tier": {"$gte": 2, "$lt": 3}}, True),        # several operators: all must hold
    ({"metadata.tier": {"$lte": 1}}, False),
    ({"metadata.beta": True}, True),
    ({"metadata.tier": {"$gt": "1"}}, False),                # number vs string: never compares
    ({"metadata.team": "body-team"}, True),                  # header first, then body.metadata
    ({"metadata.plan": "ignored-when-header-has-it"}, False),
    ({"max_tokens": {"$gte": 512}}, True),
    ({"temperature": {"$lt": 0.5}}, True),
    ({"body.user": "u-1"}, True),
    ({"messages.0.role": "system"}, True),
    ({"messages.5.role": {"$exists": False}}, True),
    ({"headers.x-region": "eu"}, True),
    ({"headers.X-Region": "eu"}, True),                      # header names are case-insensitive
    ({"headers.x-missing": {"$exists": True}}, False),
    ({"metadata.none": {"$eq": None}}, True),                # missing matches null
    ({"metadata.none": {"$ne": "x"}}, True),                 # and is "not equal" to anything
    ({"metadata.none": {"$gt": 0}}, False),
    ({"metadata.none": {"$in": ["a", None]}}, True),
    ({"metadata.tier": {"$eq": True}}, False),               # booleans are not numbers
    ({"$and": [{"metadata.plan": "free"}, {"headers.x-region": "eu"}]}, True),
    ({"$and": [{"metadata.plan": "free"}, {"headers.x-region": "us"}]}, False),
    ({"$or": [{"metadata.plan": "paid"}, {"metadata.tier": {"$gte": 2}}]}, True),
    ({"$or": [{"metadata.plan": "paid"}, {"$and": [{"max_tokens": 1}]}]}, False),
    ({"metadata.plan": "free", "headers.x-region": "us"}, False),  # implicit $and
])
def test_evaluates(conditions: dict[str, Any], expected: bool) -> None:
    assert holds(conditions) is expected


@pytest.mark.parametrize(("conditions", "path", "message"), [
    ("free", [], "must be an object"),
    ({}, [], "at least one clause"),
    ({"metadata.plan": {"$regex": "f.*"}}, ["metadata.plan", "$regex"], "unknown operator"),
    ({"$not": {"a": 1}}, ["$not"], "unknown operator '$not'"),
    ({"metadata.plan": {"$in": "free"}}, ["metadata.plan", "$in"], "takes a list"),
    ({"metadata.plan": {"$exists": "yes"}}, ["metadata.plan", "$exists"], "true or false"),
    ({"metadata.plan": {"$gt": None}}, ["metadata.plan", "$gt"], "compares numbers or strings"),
    ({"metadata.plan": {"$eq": {"a": 1}}}, ["metadata.plan", "$eq"], "string, number, bool"),
    ({"metadata.plan": ["free"]}, ["metadata.plan"], "must be compared with"),
    ({"metadata": "x"}, ["metadata"], "must name a key"),
    ({"headers.a.b": "x"}, ["headers.a.b"], "'headers.<name>'"),
    ({"a..b": 1}, ["a..b"], "empty path segment"),
    ({"$and": []}, ["$and"], "non-empty list"),
    ({"$or": [{"ok": 1}, "bad"]}, ["$or", 1], "must be an object"),
    ({"metadata.tier": {"$gt": float("nan")}}, ["metadata.tier", "$gt"], "string, number"),
])
def test_refuses_with_path(conditions: Any, path: list[str | int], message: str) -> None:
    with pytest.raises(ConditionError) as refused:
        parse(conditions)
    assert refused.value.path == path
    assert message in refused.value.message


def test_deep_nesting_is_refused_not_recursed_forever() -> None:
    doc: dict[str, Any] = {"a": 1}
    for _ in range(40):
        doc = {"$and": [doc]}
    with pytest.raises(ConditionError, match="nest deeper"):
        parse(doc)


def test_evaluation_never_raises_on_odd_request_data() -> None:
    facts = RequestFacts(body={"messages": "not-a-list", "n": [1, 2]}, metadata={}, headers={})
    for conditions in ({"messages.0.role": "user"}, {"n.x": {"$exists": True}},
                       {"n": {"$gt": 1}}, {"metadata.a.b": 1}):
        assert holds(conditions, facts) is False


def test_rate_key_text() -> None:
    assert FACTS.text(("metadata", "tier")) == "2"
    assert FACTS.text(("metadata", "beta")) == "true"
    assert FACTS.text(("user",)) == "u-1"
    assert FACTS.text(("metadata", "absent")) is None
