"""Search finds what people mean: the judged query set on this database (docs/search.md).

The suite runs once on SQLite and once on PostgreSQL (./run test), so the targets hold on
both. The set itself is tests/search/judgments (build.py writes it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from fairlance.catalog.judged import (
    JUDGMENTS,
    TARGET_NDCG,
    TARGET_RECALL,
    Report,
    evaluate,
    load_judged_catalog,
    ndcg_at,
    recall_at,
)


@pytest.fixture(scope="module")
def _judged_report(django_db_setup: None, django_db_blocker: Any) -> Iterator[Report]:
    """The catalog loaded and the queries run once for the module, in a transaction
    rolled back at its end."""
    from django.db import transaction

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        try:
            yield evaluate(load_judged_catalog())
        finally:
            transaction.set_rollback(True)  # other modules must not see the catalog


@pytest.fixture
def report(db: None, _judged_report: Report) -> Report:
    return _judged_report


def test_the_set_is_big_and_varied_enough() -> None:
    queries = json.loads((JUDGMENTS / "queries.json").read_text())
    assert len(queries) >= 150
    kinds = {q["kind"] for q in queries}
    assert kinds >= {
        "single_word", "plural_verb_form", "multi_word", "category_word", "prefix",
        "typo", "compound", "accent", "synonym", "nonsense",
    }  # fmt: skip
    assert sum(1 for q in queries if q["kind"] == "nonsense") >= 10
    assert all(q["expected"] for q in queries if q["kind"] != "nonsense")


def test_search_meets_the_targets(report: Report) -> None:
    # Every judged key is a published project (evaluate refuses unknown keys)
    assert report.recall >= TARGET_RECALL, report.text()
    assert report.ndcg >= TARGET_NDCG, report.text()


def test_nonsense_finds_nothing(report: Report) -> None:
    assert report.nonsense_failures == [], report.text()


def test_each_kind_of_query_is_served(report: Report) -> None:
    # No kind may hide behind the average: each finds most of what it should
    weak = {kind: v for kind, v in report.by_kind.items() if v[0] < 0.85}
    assert weak == {}, report.text()


def test_the_metrics() -> None:
    expected = {"a": 2, "b": 1}
    assert recall_at(["a", "b"], expected) == 1.0
    assert recall_at(["x", "a"], expected) == 0.5
    assert recall_at([], expected) == 0.0
    # only as many as fit in the top k count
    assert recall_at(["a", "b"], {"a": 2, "b": 2, "c": 2}, k=2) == 1.0
    assert ndcg_at(["a", "b"], expected) == pytest.approx(1.0)
    # the right projects in the wrong order score less than 1, more than 0
    swapped = ndcg_at(["b", "a"], expected)
    assert 0 < swapped < 1
    assert swapped == pytest.approx((1 + 3 / 1.5849625) / (3 + 1 / 1.5849625))
    assert ndcg_at(["x"], expected) == 0.0
