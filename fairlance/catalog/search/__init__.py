"""Project search: one implementation for both databases (docs/search.md).

``search_projects(params)`` answers browse and search; ``index_project(project_id)`` must be
called after any write that changes what search sees (catalog.services does it, inside the
same transaction); ``reindex_all()`` rebuilds the index from the project rows.
"""

from __future__ import annotations

from .base import SORTS, SearchPage, SearchParams, search_projects
from .index import index_project, reindex_all

__all__ = [
    "SORTS",
    "SearchPage",
    "SearchParams",
    "index_project",
    "reindex_all",
    "search_projects",
]
