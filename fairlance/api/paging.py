"""Keyset paging by (instant, id) for the API's lists: a cursor names the last row seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet

from fairlance.core.errors import InvalidInput, field_error

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _cursor_of(at: datetime, pk: int) -> str:
    """The row's time (microseconds since the epoch) and its id."""
    return f"{(at - _EPOCH) // timedelta(microseconds=1)}.{pk}"


def _malformed() -> InvalidInput:
    return InvalidInput(errors=[field_error("cursor", "Malformed cursor.", "invalid_cursor")])


def keyset_page(
    qs: QuerySet[Any], field: str, cursor: str | None, limit: int, *, newest_first: bool
) -> tuple[list[Any], str | None]:
    """One page of ``qs`` (ordered by ``field`` then id, newest or oldest first) after
    ``cursor``, and the cursor of the next page (None on the last)."""
    if cursor:
        at_s, _, pk_s = cursor.partition(".")
        if not (at_s.isascii() and at_s.isdigit() and pk_s.isascii() and pk_s.isdigit()):
            raise _malformed()
        try:
            at = _EPOCH + timedelta(microseconds=int(at_s))
        except OverflowError:
            raise _malformed() from None
        pk = min(int(pk_s), 2**63 - 1)
        op = "lt" if newest_first else "gt"
        qs = qs.filter(Q(**{f"{field}__{op}": at}) | Q(**{field: at, f"id__{op}": pk}))
    rows = list(qs[: limit + 1])
    page = rows[:limit]
    more = len(rows) > limit
    return page, (_cursor_of(getattr(page[-1], field), page[-1].pk) if more else None)
