"""Reads on uploads; ``access_contract_file`` is the one door to a contract's file."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from fairlance.contracts.models import Contract
from fairlance.contracts.selectors import access_contract
from fairlance.core.errors import NotFound
from fairlance.files.models import Upload


def _as_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def access_contract_file(*, user: Any, contract_id: int, file_id: Any) -> Upload:
    """The file ``file_id`` attached to contract ``contract_id``, if ``user`` may see it.

    Who may see the contract decides (its client, its freelancer, an operator:
    ``access_contract``); the file must be attached to *that* contract. Everything else
    (strangers, anonymous callers, a malformed id, another contract's file) is the same
    ``NotFound`` as an id that does not exist.
    """
    contract = access_contract(user=user, contract_id=contract_id)
    public_id = _as_uuid(file_id)
    if public_id is None:
        raise NotFound()
    upload = Upload.objects.filter(public_id=public_id, contract=contract).first()
    if upload is None:
        raise NotFound()
    return upload


def contract_files(*, contract: Contract, public_ids: Iterable[Any]) -> dict[str, Upload]:
    """The contract's attached uploads among ``public_ids``, keyed by id (as text)."""
    ids = {u for u in (_as_uuid(v) for v in public_ids) if u is not None}
    if not ids:
        return {}
    return {
        str(u.public_id): u for u in Upload.objects.filter(contract=contract, public_id__in=ids)
    }


def uploads_unattached_of(
    *, uploader: Any, purpose: str, public_ids: Iterable[Any]
) -> list[Upload]:
    """The uploader's own unattached uploads for ``purpose`` among ``public_ids``, in order.

    What a re-shown form may offer back as "attached": ids the browser sent that are not
    the viewer's (or no longer usable) are left out, so a form never shows another
    person's file name.
    """
    ids = [u for u in (_as_uuid(v) for v in public_ids) if u is not None]
    if not ids or not getattr(uploader, "is_authenticated", False):
        return []
    rows = {
        u.public_id: u
        for u in Upload.objects.filter(
            public_id__in=ids, uploader=uploader, purpose=purpose, contract__isnull=True
        )
    }
    return [rows[i] for i in dict.fromkeys(ids) if i in rows]
