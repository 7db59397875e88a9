"""Write catalog.json and queries.json from the hand-written tables next to this file.

    PYTHONPATH=. python -m tests.search.independent.build

The JSON files are what the loader (``fairlance.catalog.judged``) reads and what reviewers
diff; catalog_data.py and queries_data.py are where people edit (Python keeps 250 entries
readable). Output is deterministic: same tables, same bytes. ``test_judged_set`` fails
when the committed JSON is not what this script writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.search.independent.catalog_data import CATALOG
from tests.search.independent.queries_data import KINDS, QUERIES

HERE = Path(__file__).resolve().parent
CATALOG_JSON = HERE / "catalog.json"
QUERIES_JSON = HERE / "queries.json"


def catalog_rows() -> list[dict[str, Any]]:
    return [
        {
            "key": e.key,
            "title": e.title,
            "category": e.category,
            "tags": list(e.tags),
            "description": e.description,
            "price": e.price,
            "delivery_days": e.delivery_days,
        }
        for e in CATALOG
    ]


def query_rows() -> list[dict[str, Any]]:
    rows = []
    for query in QUERIES:
        if query.kind not in KINDS:
            raise ValueError(f"{query.q!r}: unknown kind {query.kind!r}")
        # Answers first, then by key, so a diff of the file shows judgment changes only.
        expected = dict(sorted(query.expected.items(), key=lambda kv: (-kv[1], kv[0])))
        rows.append({"q": query.q, "kind": query.kind, "expected": expected})
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    CATALOG_JSON.write_text(render(catalog_rows()), encoding="utf-8")
    QUERIES_JSON.write_text(render(query_rows()), encoding="utf-8")
    print(f"wrote {len(CATALOG)} projects and {len(QUERIES)} queries")


if __name__ == "__main__":
    main()
