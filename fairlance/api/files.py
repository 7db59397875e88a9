"""Uploads: ``POST /api/v1/uploads`` stores a file and answers with the id to use it by.

A file question of a purchase or of ``submit_requirements`` is answered with such an id
(purpose ``requirement``), and ``deliver`` takes a list of them (purpose ``delivery``).
What each purpose accepts is ``fairlance.files.kinds``; this module only parses.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from fairlance.accounts.models import User
from fairlance.api.auth import REQUIRED_AUTH
from fairlance.api.errors import problems
from fairlance.files import kinds
from fairlance.files.models import Upload
from fairlance.files.services import upload_create

router = Router(tags=["files"])


class UploadOut(Schema):
    id: str
    name: str
    size: int
    content_type: str
    purpose: str


def upload_out(upload: Upload) -> dict[str, Any]:
    return {
        "id": str(upload.public_id),
        "name": upload.name,
        "size": upload.size,
        "content_type": upload.content_type,
        "purpose": upload.purpose,
    }


def _limits_text() -> str:
    lines = [
        "Multipart: `file` and `purpose`. Answers `{id, name, size, content_type, purpose}`; "
        "use the `id` as the answer to a file question (`requirement`) or in `deliver`'s "
        "`files` (`delivery`), `open_dispute`'s or `answer_dispute`'s `files` (`dispute`), a quote request's `files` (`quote`). An upload not used within a day is deleted. Per purpose:"
    ]
    for rules in kinds.RULES.values():
        lines.append(
            f"- `{rules.purpose.value}`: at most {rules.size_text} per file; {rules.types_text}."
        )
    lines.append(
        f"Each person may hold {kinds.MAX_PENDING_UPLOADS} unused uploads "
        f"({kinds.MAX_PENDING_BYTES // kinds.MB // 1024} GB) at a time (409 `upload_limit`)."
    )
    return "\n".join(lines)


@router.post(
    "/uploads",
    response={201: UploadOut},
    auth=REQUIRED_AUTH,
    summary="Upload a file to answer a file question or deliver with",
    description=_limits_text(),
    openapi_extra={
        **problems(409),
        # The same limits, for programs: the extensions and bytes each purpose accepts.
        "x-upload-limits": {
            rules.purpose.value: {
                "max_bytes": rules.max_bytes,
                "extensions": list(rules.extensions),
            }
            for rules in kinds.RULES.values()
        },
    },
)
def create_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    purpose: Form[Literal["requirement", "delivery", "dispute", "quote"]],
) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    upload = upload_create(uploader=user, purpose=purpose, content=file)
    return Status(201, upload_out(upload))
