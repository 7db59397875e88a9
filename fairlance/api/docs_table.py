"""Keep docs/api.md's endpoint reference in step with the OpenAPI document.

The reference table in docs/api.md is written by hand (who may call an endpoint and which
errors matter cannot be read off the schema), so it can fall behind the routers. This
module lists the operations the API really serves and compares them with the table's rows;
``tests/api/test_api_docs.py`` fails when they differ. Run it to see the difference, or to
print skeleton rows for new endpoints::

    python -m fairlance.api.docs_table            # compare docs/api.md with the API
    python -m fairlance.api.docs_table --skeleton # one table row per operation

Rows of the table look like ``| GET | `/api/v1/projects` | ... |`` and sit between the
``<!-- reference-table:start -->`` and ``<!-- reference-table:end -->`` markers.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

API_PREFIX = "/api/v1"
DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "api.md"
TABLE_START = "<!-- reference-table:start -->"
TABLE_END = "<!-- reference-table:end -->"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

_ROW = re.compile(r"^\|\s*(GET|POST|PUT|PATCH|DELETE)\s*\|\s*`([^`]+)`\s*\|")


@dataclass(frozen=True, order=True)
class Operation:
    path: str
    method: str
    summary: str = ""
    authenticated: bool = False
    success_status: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI document as served at /api/v1/openapi.json (needs Django set up)."""
    from fairlance.api.main import api

    return dict(api.get_openapi_schema(path_prefix=API_PREFIX))


def operations(schema: dict[str, Any]) -> list[Operation]:
    """Every (method, path) the OpenAPI document declares, sorted by path then method."""
    found: list[Operation] = []
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method.upper() not in HTTP_METHODS:
                continue
            responses = sorted(op.get("responses", {}))
            found.append(
                Operation(
                    path=path,
                    method=method.upper(),
                    summary=str(op.get("summary", "")),
                    authenticated=bool(op.get("security")),
                    success_status=responses[0] if responses else "",
                )
            )
    return sorted(found)


def reference_table(markdown: str) -> str:
    """The text between the reference-table markers (ValueError if they are missing)."""
    start = markdown.find(TABLE_START)
    end = markdown.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"docs/api.md needs {TABLE_START} ... {TABLE_END} around the table")
    return markdown[start + len(TABLE_START) : end]


def reference_rows(markdown: str) -> list[list[str]]:
    """The cells of every endpoint row of the reference table, in document order."""
    rows: list[list[str]] = []
    for line in reference_table(markdown).splitlines():
        line = line.strip()
        if _ROW.match(line):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def documented_operations(markdown: str) -> list[tuple[str, str]]:
    """(method, path) of every row of the reference table, in document order."""
    return [(row[0], row[1].strip("`")) for row in reference_rows(markdown)]


@dataclass(frozen=True)
class Comparison:
    missing: list[tuple[str, str]]  # served by the API, absent from the table
    stale: list[tuple[str, str]]  # in the table, not served (renamed or removed)
    duplicated: list[tuple[str, str]]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.duplicated)


def compare(schema: dict[str, Any], markdown: str) -> Comparison:
    served = {op.key for op in operations(schema)}
    rows = documented_operations(markdown)
    documented = set(rows)
    return Comparison(
        missing=sorted(served - documented, key=lambda k: (k[1], k[0])),
        stale=sorted(documented - served, key=lambda k: (k[1], k[0])),
        duplicated=sorted({row for row in rows if rows.count(row) > 1}),
    )


def skeleton_rows(schema: dict[str, Any]) -> str:
    """Markdown rows to paste into the table and complete by hand."""
    lines = []
    for op in operations(schema):
        who = "signed in" if op.authenticated else "anyone"
        lines.append(f"| {op.method} | `{op.path}` | {who} | {op.success_status} … | … |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
    django.setup()
    schema = openapi_schema()
    if "--skeleton" in argv:
        print(skeleton_rows(schema))
        return 0
    result = compare(schema, DOC_PATH.read_text(encoding="utf-8"))
    for label, keys in (
        ("missing from docs/api.md", result.missing),
        ("in docs/api.md but not served", result.stale),
        ("listed twice in docs/api.md", result.duplicated),
    ):
        for method, path in keys:
            print(f"{label}: {method} {path}")
    if result.ok:
        print("docs/api.md lists every operation of the API.")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
