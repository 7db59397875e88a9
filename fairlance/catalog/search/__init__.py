"""Project search: one interface, a backend per database (docs/search.md).

``search_projects(params)`` answers browse and search; ``index_project(project_id)`` must be
called after any write that changes what search sees (catalog.services does it, inside the
same transaction); ``reindex_all()`` rebuilds the index from the project rows.
"""

from __future__ import annotations

from django.db import connection

from .base import SORTS, SearchBackend, SearchPage, SearchParams, run_search

__all__ = [
    "SORTS",
    "SearchPage",
    "SearchParams",
    "get_backend",
    "index_project",
    "reindex_all",
    "search_projects",
]


def get_backend() -> SearchBackend:
    """The backend for the default database's vendor."""
    if connection.vendor == "postgresql":
        from .postgres import PostgresBackend

        return PostgresBackend()
    if connection.vendor == "sqlite":
        from .sqlite import SqliteBackend

        return SqliteBackend()
    raise NotImplementedError(f"no search backend for {connection.vendor}")


def search_projects(params: SearchParams) -> SearchPage:
    """A page of published, purchasable-looking projects matching ``params``.

    Raises ``InvalidInput`` for out-of-range parameters and, with code ``invalid_cursor``,
    for a cursor that is malformed or belongs to another sort.
    """
    return run_search(get_backend(), params)


def index_project(project_id: int) -> None:
    """Bring the index row of one project up to date (or remove it if the project is gone)."""
    get_backend().index_project(project_id)


def reindex_all() -> int:
    """Rebuild the whole index; returns how many projects were indexed."""
    return get_backend().reindex_all()
