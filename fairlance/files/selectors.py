"""Reads on uploads. A contract's files are read through ``contracts.selectors``
(``access_contract_file``), which checks access to the contract first."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from fairlance.files.models import UNATTACHED, Upload


def as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def uploads_unattached_of(
    *, uploader: Any, purpose: str, public_ids: Iterable[Any]
) -> list[Upload]:
    """The uploader's own unattached uploads for ``purpose`` among ``public_ids``, in order.

    What a re-shown form may offer back as "attached": ids the browser sent that are not
    the viewer's (or no longer usable) are left out, so a form never shows another
    person's file name.
    """
    ids = [u for u in (as_uuid(v) for v in public_ids) if u is not None]
    if not ids or not getattr(uploader, "is_authenticated", False):
        return []
    rows = {
        u.public_id: u
        for u in Upload.objects.filter(
            UNATTACHED, public_id__in=ids, uploader=uploader, purpose=purpose
        )
    }
    return [rows[i] for i in dict.fromkeys(ids) if i in rows]
