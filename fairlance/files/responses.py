"""The one way a contract file leaves the server, for the web and the API alike.

Every file is a download (``Content-Disposition: attachment`` with the sanitised original
name), typed as ``kinds`` says (never a type a browser would run: SVG and the like are
``application/octet-stream``), with ``X-Content-Type-Options: nosniff`` so the browser does
not guess otherwise, and a sandboxing Content-Security-Policy so that, even opened in a
tab, it runs no script, loads nothing and has no origin to act with.
"""

from __future__ import annotations

from django.http import FileResponse

from fairlance.core.errors import NotFound
from fairlance.files.kinds import OCTET_STREAM, SERVED_TYPES
from fairlance.files.models import Upload

SANDBOX_CSP = "sandbox; default-src 'none'"


def upload_response(upload: Upload) -> FileResponse:
    """The file of ``upload`` as a download. Raises ``NotFound`` if storage lost it."""
    try:
        handle = upload.file.open("rb")
    except OSError:
        raise NotFound() from None
    # A type not in the table (an older row) is served as bytes, never as itself.
    content_type = upload.content_type if upload.content_type in SERVED_TYPES else OCTET_STREAM
    response = FileResponse(
        handle, as_attachment=True, filename=upload.name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    # Private: no shared cache may keep a copy, and no other site may embed it.
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
