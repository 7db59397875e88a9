"""The judged query set: how well search finds what people mean (docs/search.md).

``load_judged_catalog()`` writes the fixed catalog into the current database (the demo's
projects, then ``tests/search/judgments/catalog.json``), ``evaluate()`` runs every query of
``queries.json`` through ``search_projects`` and scores the first ten results against the
judgments: recall@10 and nDCG@10 (graded: 2 = what the query is for, 1 = also relevant), and
for nonsense queries whether nothing came back. Used by ``fairlance search_eval`` and
``tests/search/test_judged_set.py``.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils.text import slugify

from fairlance.accounts.models import User
from fairlance.catalog.inputs import TierInput
from fairlance.catalog.models import Project, ProjectStatus
from fairlance.catalog.search import SearchParams, search_projects
from fairlance.catalog.services import project_create, project_publish

JUDGMENTS = Path(__file__).resolve().parents[2] / "tests" / "search" / "judgments"
# A second set, written independently of the engine by another author (its README).
INDEPENDENT = JUDGMENTS.parent / "independent"
TOP = 10
TARGET_RECALL = 0.95
TARGET_NDCG = 0.85


def demo_key(title: str) -> str:
    return "demo:" + slugify(title)[:40].rstrip("-")


def synonym_entries(directory: Path) -> list[str]:
    """The synonym list a set's judgments assume (its ``synonyms.json``: each entry a word
    and what it means), as operators would enter it."""
    path = directory / "synonyms.json"
    if not path.exists():
        return []
    return [", ".join([e["query"], *e["means"]]) for e in json.loads(path.read_text())]


def load_judged_catalog(directory: Path = JUDGMENTS) -> dict[str, int]:
    """Create the judged catalog; returns project ids by judgment key."""
    from fairlance.catalog.models import SearchSynonym
    from fairlance.demo.load import demo_load

    demo_load(images=False)
    ids = {
        demo_key(title): pk
        for pk, title in Project.objects.filter(status=ProjectStatus.PUBLISHED).values_list(
            "pk", "title"
        )
    }
    sellers = [
        User.objects.create_user(email=f"judged{n}@example.com", password=None) for n in range(4)
    ]
    for n, spec in enumerate(json.loads((directory / "catalog.json").read_text())):
        project = project_create(
            freelancer=sellers[n % len(sellers)],
            title=spec["title"],
            category_slug=spec["category"],
            description=spec["description"],
            tags=spec["tags"],
            tiers=[
                TierInput(
                    name="Standard",
                    price_minor=spec["price"] * 100,
                    delivery_days=spec["delivery_days"],
                )
            ],
        )
        ids[spec["key"]] = project_publish(project=project, actor=project.freelancer).pk
    for words in synonym_entries(directory):
        SearchSynonym.objects.get_or_create(words=words)
    return ids


@dataclass
class QueryResult:
    q: str
    kind: str
    expected: dict[str, int]
    found: list[str]  # the keys of the first ten results (or "#<id>" for others)
    recall: float
    ndcg: float

    @property
    def passed_nonsense(self) -> bool:
        return self.kind != "nonsense" or not self.found


@dataclass
class Report:
    results: list[QueryResult]
    by_kind: dict[str, tuple[float, float, int]] = field(default_factory=dict)

    @property
    def judged(self) -> list[QueryResult]:
        return [r for r in self.results if r.kind != "nonsense"]

    @property
    def recall(self) -> float:
        return sum(r.recall for r in self.judged) / len(self.judged)

    @property
    def ndcg(self) -> float:
        return sum(r.ndcg for r in self.judged) / len(self.judged)

    @property
    def nonsense_failures(self) -> list[QueryResult]:
        return [r for r in self.results if not r.passed_nonsense]

    @property
    def meets_targets(self) -> bool:
        return (
            self.recall >= TARGET_RECALL and self.ndcg >= TARGET_NDCG and not self.nonsense_failures
        )

    def worst(self, n: int = 10) -> list[QueryResult]:
        return sorted(self.judged, key=lambda r: (r.recall + r.ndcg, r.q))[:n]

    def text(self) -> str:
        lines = [
            f"queries: {len(self.results)} ({len(self.judged)} judged, "
            f"{len(self.results) - len(self.judged)} nonsense)",
            f"recall@10: {self.recall:.3f} (target {TARGET_RECALL})",
            f"nDCG@10:   {self.ndcg:.3f} (target {TARGET_NDCG})",
            f"nonsense queries with results: {len(self.nonsense_failures)}",
            "",
            "| kind | queries | recall@10 | nDCG@10 |",
            "|---|---:|---:|---:|",
        ]
        for kind, (recall, ndcg, count) in sorted(self.by_kind.items()):
            lines.append(f"| {kind} | {count} | {recall:.3f} | {ndcg:.3f} |")
        lines += ["", "Worst 10 queries:", ""]
        lines += [
            "| query | recall@10 | nDCG@10 | missing from the first 10 |",
            "|---|---:|---:|---|",
        ]
        for r in self.worst():
            missing = ", ".join(k for k in r.expected if k not in r.found) or "—"
            lines.append(f"| `{r.q}` | {r.recall:.2f} | {r.ndcg:.2f} | {missing} |")
        for r in self.nonsense_failures:
            lines.append(f"nonsense `{r.q}` found: {', '.join(r.found)}")
        return "\n".join(lines)


def recall_at(found: list[str], expected: dict[str, int], k: int = TOP) -> float:
    """How many of the expected projects are in the first ``k``, out of as many as fit."""
    if not expected:
        return 1.0
    hits = sum(1 for key in found[:k] if key in expected)
    return hits / min(k, len(expected))


def ndcg_at(found: list[str], expected: dict[str, int], k: int = TOP) -> float:
    """Normalised discounted cumulative gain with gains 2**grade - 1."""
    if not expected:
        return 1.0

    def dcg(grades: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(grades[:k]))

    ideal = dcg(sorted(expected.values(), reverse=True))
    return dcg([expected.get(key, 0) for key in found[:k]]) / ideal


def evaluate(ids: dict[str, int], directory: Path = JUDGMENTS) -> Report:
    """Run every judged query; ``ids`` from ``load_judged_catalog``."""
    keys = {pk: key for key, pk in ids.items()}
    results = []
    for query in json.loads((directory / "queries.json").read_text()):
        page = search_projects(SearchParams(q=query["q"], limit=TOP, with_total=False))
        found = [keys.get(r.id, f"#{r.id}") for r in page.results]
        expected: dict[str, int] = query["expected"]
        unknown = set(expected) - set(ids)
        if unknown:
            # A judgment about a project that is not in the catalog (or not published)
            # could never be met: the set itself is wrong.
            raise ValueError(f"{query['q']!r} expects projects not in the catalog: {unknown}")
        results.append(
            QueryResult(
                q=query["q"],
                kind=query["kind"],
                expected=expected,
                found=found,
                recall=recall_at(found, expected),
                ndcg=ndcg_at(found, expected),
            )
        )
    report = Report(results)
    grouped: dict[str, list[QueryResult]] = defaultdict(list)
    for r in results:
        grouped[r.kind].append(r)
    for kind, group in grouped.items():
        if kind == "nonsense":
            passed = sum(1 for r in group if r.passed_nonsense) / len(group)
            report.by_kind[kind] = (passed, passed, len(group))
        else:
            report.by_kind[kind] = (
                sum(r.recall for r in group) / len(group),
                sum(r.ndcg for r in group) / len(group),
                len(group),
            )
    return report


def as_json(report: Report) -> dict[str, Any]:
    return {
        "recall_at_10": report.recall,
        "ndcg_at_10": report.ndcg,
        "nonsense_failures": [r.q for r in report.nonsense_failures],
        "by_kind": {
            k: {"recall": v[0], "ndcg": v[1], "queries": v[2]} for k, v in report.by_kind.items()
        },
        "worst": [
            {"q": r.q, "recall": r.recall, "ndcg": r.ndcg, "found": r.found, "expected": r.expected}
            for r in report.worst()
        ],
    }
