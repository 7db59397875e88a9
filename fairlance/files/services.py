"""Writes on uploads: create one (every rule checked here), attach, discard, purge.

Files and rows are kept in step so that **a file is in storage only while its row
exists**:

- ``upload_create`` commits the row first, then writes the file; if writing fails the
  row goes again. A crash in between leaves a row without a file (served as 404, swept by
  the worker), never a file nobody knows about.
- ``uploads_discard`` and the worker's ``uploads_purge_stale`` delete the file first,
  then the row, under the row's lock, and only while the upload is not attached.
- ``uploads_attach`` only links rows to a contract; it runs inside the transition's
  transaction, so a transition that fails leaves its uploads unattached, for the caller
  to discard (the web views and the multipart API endpoint do) or the worker to purge.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from fairlance.core.errors import Conflict, InvalidInput, field_error
from fairlance.files import kinds
from fairlance.files.models import UNATTACHED, Upload

logger = logging.getLogger(__name__)

# How long an upload may wait to be attached before the worker deletes it.
UNATTACHED_LIFETIME = timedelta(days=1)
MAX_NAME = 200
# Characters Windows and macOS refuse in file names, or that would need quoting in a
# Content-Disposition header; each becomes "_" in the name we keep.
_UNSAFE = re.compile(r'[<>:"|?*;\\/]')


def clean_file_name(raw: str) -> str:
    """The name to show and to download as: the last path part, printable, at most 200.

    Path parts (either slash), control and format characters (which include bidi
    overrides that make ``gpj.exe`` read as ``exe.jpg``, and zero-width characters),
    leading dots (hidden files) and trailing dots and spaces are dropped; the extension
    is kept when the name is shortened.
    """
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = _UNSAFE.sub("_", " ".join(name.split()))
    name = name.lstrip(". ").rstrip(". ")
    if len(name) > MAX_NAME:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name or "file"


def extension_of(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def storage_name() -> str:
    """A random storage name, unrelated to anything the uploader sent or to the contract."""
    token = uuid.uuid4().hex
    return f"uploads/{token[:2]}/{token}"


def _refuse(field: str, message: str, code: str) -> InvalidInput:
    return InvalidInput(message, errors=[field_error(field, message, code)])


def _check_quota(uploader: Any, size: int) -> None:
    held = Upload.objects.filter(UNATTACHED, uploader=uploader).aggregate(
        n=Count("id"), bytes=Sum("size")
    )
    if held["n"] >= kinds.MAX_PENDING_UPLOADS or (held["bytes"] or 0) + size > (
        kinds.MAX_PENDING_BYTES
    ):
        raise Conflict(
            "You have too many files waiting to be used. Send the delivery or the answers "
            "they are for, or try again tomorrow, when unused files are deleted.",
            code="upload_limit",
        )


def upload_create(
    *, uploader: Any, purpose: str, content: File[Any], name: str | None = None, field: str = "file"
) -> Upload:
    """Store one file for ``purpose`` and return its upload (not attached to anything).

    Enforces every rule about uploads: the purpose exists; the type (by the sanitised
    name's extension) is on the purpose's list; the file is neither empty nor over the
    purpose's size; the uploader's unattached uploads stay within their count and bytes.
    Errors name ``field`` (``file`` for the API, ``files.2``, ``answers.7``...).

    Precondition: no transaction is open (views and API handlers call it in autocommit).
    The row then commits before the file is written, so storage never holds a file whose
    row did not commit; inside a caller's transaction a rollback would leave the file
    behind. The demo loader is the one exception and says so.
    """
    rules = kinds.rules_for(purpose)
    if rules is None:
        choices = ", ".join(p.value for p in kinds.Purpose)
        raise _refuse("purpose", f"One of {choices}.", "invalid_choice")
    clean = clean_file_name(name if name is not None else str(content.name or ""))
    extension = extension_of(clean)
    served = rules.served_type(extension)
    if served is None:
        raise _refuse(
            field,
            f"{clean}: files of type {extension or 'without an extension'} are not accepted.",
            "file_type",
        )
    size = int(content.size or 0)
    if size <= 0:
        raise _refuse(field, f"{clean}: the file is empty.", "empty_file")
    if size > rules.max_bytes:
        raise _refuse(
            field, f"{clean}: each file may be at most {rules.size_text}.", "file_too_large"
        )
    _check_quota(uploader, size)

    now = timezone.now()
    target = storage_name()
    with transaction.atomic():
        upload = Upload.objects.create(
            uploader=uploader,
            purpose=rules.purpose.value,
            file=target,
            name=clean,
            size=size,
            content_type=served,
            created_at=now,
        )
    try:
        stored = default_storage.save(target, content)
    except BaseException:
        Upload.objects.filter(pk=upload.pk).delete()
        raise
    if stored != target:  # pragma: no cover - a random name is never taken
        Upload.objects.filter(pk=upload.pk).update(file=stored)
        upload.file.name = stored
    return upload


def _as_uuid(value: Any) -> uuid.UUID | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def uploads_resolve(
    *, uploader_id: int, purpose: str, refs: Mapping[str, Any], for_update: bool = False
) -> tuple[dict[str, Upload], list[dict[str, Any]]]:
    """The unattached uploads of ``uploader_id`` for ``purpose`` that ``refs`` name.

    ``refs`` maps a field path (``answers.7``, ``files.0``) to what the caller sent as the
    upload's id. Returns the uploads found by field path and one error per field that
    does not name one: not an id, no such upload *or somebody else's* (the same words, so
    ids reveal nothing), an upload for another purpose, or one already attached.
    ``for_update`` locks the rows (precondition: inside the transaction that attaches).
    """
    wanted = {path: _as_uuid(value) for path, value in refs.items()}
    ids = {u for u in wanted.values() if u is not None}
    rows = Upload.objects.filter(public_id__in=ids, uploader_id=uploader_id)
    if for_update:
        rows = rows.select_for_update()
    by_id = {row.public_id: row for row in rows} if ids else {}
    found: dict[str, Upload] = {}
    errors: list[dict[str, Any]] = []
    for path, public_id in wanted.items():
        row = by_id.get(public_id) if public_id is not None else None
        if row is None:
            errors.append(
                field_error(path, "This file is not available: upload it again.", "unknown_upload")
            )
        elif row.purpose != purpose:
            errors.append(
                field_error(
                    path,
                    f"This file was uploaded for a {row.purpose}, not a {purpose}.",
                    "wrong_purpose",
                )
            )
        elif row.contract_id is not None or row.quote_request_id is not None:
            errors.append(field_error(path, "This file is already attached.", "already_attached"))
        else:
            found[path] = row
    return found, errors


def uploads_attach(
    *,
    contract: Any = None,
    quote_request: Any = None,
    uploader_id: int,
    purpose: str,
    refs: Mapping[str, Any],
    now: datetime,
) -> dict[str, Upload]:
    """Attach the uploads ``refs`` names to ``contract`` (or to a new ``quote_request``);
    returns them by field path.

    Precondition: inside the transaction of the transition that uses them, with the
    contract locked (or new), or in the one creating the quote request. The uploads are
    locked and checked again here (another contract may have taken one since the caller
    looked), so two uses can never attach the same upload. Raises ``InvalidInput``
    naming each refused field.
    """
    if (contract is None) == (quote_request is None):
        raise ValueError("attach to a contract or to a quote request")
    found, errors = uploads_resolve(
        uploader_id=uploader_id, purpose=purpose, refs=refs, for_update=True
    )
    if errors:
        raise InvalidInput("Some files cannot be used.", errors=errors)
    pks = {u.pk for u in found.values()}
    if pks:
        Upload.objects.filter(pk__in=pks).update(
            contract=contract, quote_request=quote_request, attached_at=now
        )
    for upload in found.values():
        upload.contract = contract
        upload.quote_request = quote_request
        upload.attached_at = now
    return found


def _delete_unattached(pks: Iterable[int]) -> int:
    """Delete these uploads if they are still unattached: file first, then the row."""
    deleted = 0
    with transaction.atomic():
        for upload in Upload.objects.select_for_update().filter(UNATTACHED, pk__in=list(pks)):
            try:
                default_storage.delete(upload.file.name or "")
            except OSError:
                logger.exception("could not delete the file of upload %s", upload.pk)
                continue
            upload.delete()
            deleted += 1
    return deleted


def uploads_discard(*, uploader: Any, uploads: Iterable[Upload]) -> int:
    """Delete uploads a request made for a transition that did not happen.

    Only the uploader's own, and only while unattached (an upload a concurrent request
    attached stays). Returns how many went.
    """
    pks = [u.pk for u in uploads if u.uploader_id == uploader.pk]
    return _delete_unattached(pks) if pks else 0


def uploads_purge_stale(*, now: datetime, limit: int = 200) -> int:
    """Delete uploads never attached within ``UNATTACHED_LIFETIME``; returns how many.

    Run by the worker. An upload that is attached while the sweep runs is left alone
    (the delete re-checks under the row lock).
    """
    pks = list(
        Upload.objects.filter(UNATTACHED, created_at__lt=now - UNATTACHED_LIFETIME)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return _delete_unattached(pks) if pks else 0
