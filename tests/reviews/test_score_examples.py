"""The worked examples of docs/success-score.md, run through ``reviews.score.compute``.

The examples are parsed out of the document (contract tables, the contributions and
exclusions, the line of the pooled private ratings, the score), so the page cannot say one thing while the code does another.
Whether a row counts is decided as an ending does: from its ending transition's declaration
in the lifecycle table, applied to the money paid and the fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fairlance.contracts import process
from fairlance.reviews import score

DOC = Path(__file__).resolve().parents[2] / "docs" / "success-score.md"


@dataclass
class Example:
    title: str
    now: datetime
    rows: list[score.ContractRow]
    # contract id -> "51.84" or "excluded: <reason>"
    results: dict[int, str]
    # "Private ratings: 3 from 3 clients, pooled: **10.31**"
    private: dict[str, object]
    score: int | None


def _minor(text: str) -> int:
    major = text.strip().lstrip("$").replace(",", "")
    return round(float(major) * 100)


def _tables(body: str) -> list[list[dict[str, str]]]:
    tables: list[list[dict[str, str]]] = []
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            head = [c.strip() for c in lines[i].strip("|").split("|")]
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                rows.append(dict(zip(head, cells, strict=True)))
                i += 1
            tables.append(rows)
        else:
            i += 1
    return tables


def _row(r: dict[str, str]) -> score.ContractRow:
    ending = r["ending"]
    transition = process.ending_transition(ending)
    assert transition is not None, f"unknown ending {ending!r} in the docs"
    paid = _minor(r["paid"])
    return score.ContractRow(
        contract_id=int(r["contract"]),
        title=f"Contract {r['contract']}",
        client_id=ord(r["client"]),
        ended_at=datetime.fromisoformat(r["ended"]).replace(hour=12, tzinfo=UTC),
        ending=ending,
        fault=r["fault"],
        counts_for_trust=transition.ending_counts(paid=paid > 0, fault=r["fault"]),
        paid_out_minor=paid,
        price_minor=_minor(r["price"]),
        late={"yes": True, "no": False}[r["late"]],
        rating=int(r["rating"]) if r["rating"] else None,
        private_rating=int(r["private"]) if r["private"] else None,
        not_counted=transition.not_counted,
    )


def examples() -> list[Example]:
    text = DOC.read_text(encoding="utf-8")
    out = []
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        if not section.startswith("Example"):
            continue
        title = section.splitlines()[0]
        now = re.search(r"^Now: (\d{4}-\d{2}-\d{2})$", section, flags=re.M)
        shown = re.search(r"^Score: \*\*(.+?)\*\*$", section, flags=re.M)
        private = re.search(
            r"^Private ratings: (\d+) from (\d+) clients?, (pooled|left out): \*\*(.+?)\*\*$",
            section,
            flags=re.M,
        )
        assert now and shown and private, title
        inputs, results = _tables(section)
        out.append(
            Example(
                title=title,
                now=datetime.fromisoformat(now.group(1)).replace(hour=12, tzinfo=UTC),
                rows=[_row(r) for r in inputs],
                results={int(r["contract"]): r["contribution"] for r in results},
                private={
                    "ratings": int(private.group(1)),
                    "clients": int(private.group(2)),
                    "used": private.group(3) == "pooled",
                    "contribution": private.group(4),
                },
                score=None if shown.group(1) == "not shown" else int(shown.group(1)),
            )
        )
    return out


def test_the_document_has_at_least_three_worked_examples() -> None:
    found = examples()
    assert len(found) >= 3
    # ... covering a shown score, a hidden one and an exclusion
    assert any(e.score is None for e in found)
    assert any(e.score is not None for e in found)
    assert any(v.startswith("excluded: ") for e in found for v in e.results.values())
    # ... and private ratings both pooled and left out (too few clients rated privately)
    assert any(e.private["used"] for e in found)
    assert any(not e.private["used"] and e.private["ratings"] > 0 for e in found)


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.title.split(":")[0])
def test_a_worked_example_gives_the_documented_numbers(example: Example) -> None:
    breakdown = score.compute(example.rows, now=example.now)
    stored = breakdown.as_json()

    assert breakdown.score == example.score
    got = {c["contract_id"]: c["contribution"] for c in stored["counted"]}
    got |= {e["contract_id"]: f"excluded: {e['reason']}" for e in stored["excluded"]}
    # Every listed contract, in the order the page lists them, and nothing else (contracts
    # older than the window are not listed at all).
    assert got == example.results
    assert list(got) == list(example.results)
    # The pooled private line, and the parts adding up to the exact score
    private = stored["private"]
    assert {k: private[k] for k in example.private} == example.private
    if breakdown.exact is not None:
        parts = sum((c.contribution for c in breakdown.counted), breakdown.private.contribution)
        assert parts == breakdown.exact
