"""Which files people may upload, for what, and how each is served: defined once.

Every rule about a file's type and size is read from here: the upload service enforces it,
the forms show it as help text and ``accept`` list, the API documents it in its schema.
A type is accepted by its extension (the only thing a browser or an operating system
looks at when the file is opened after download) and is served with the content type
listed here, never the one the uploader claimed. Types a browser would run or render as
a page (SVG, and anything HTML, XML or script-like) are never listed as themselves: they
are served as ``application/octet-stream``, so even a browser that ignored
``Content-Disposition: attachment`` would only save them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

OCTET_STREAM = "application/octet-stream"
MB = 1024 * 1024


class Purpose(StrEnum):
    """What an upload is for; each purpose has its own ``UploadRules``."""

    REQUIREMENT = "requirement"
    DELIVERY = "delivery"
    DISPUTE = "dispute"
    QUOTE = "quote"


@dataclass(frozen=True)
class FileKind:
    """A family of file types, named the way people call them in the help text."""

    label: str
    # extension (lower case, with its dot) -> the Content-Type the file is served with
    types: Mapping[str, str]

    def extensions_text(self) -> str:
        return ", ".join(ext.lstrip(".").upper() for ext in self.types)


IMAGES = FileKind(
    "images",
    {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".gif": "image/gif",
        ".webp": "image/webp",
        ".tif": "image/tiff",
        ".tiff": "image/tiff",
    },
)
# SVG is an XML document that may carry scripts: served as bytes, never as an image.
# AI, EPS and PSD mean nothing to a browser either; they are opened by design software.
DESIGN = FileKind(
    "design files",
    {
        ".svg": OCTET_STREAM,
        ".pdf": "application/pdf",
        ".ai": OCTET_STREAM,
        ".eps": OCTET_STREAM,
        ".psd": OCTET_STREAM,
    },
)
FONTS = FileKind(
    "fonts",
    {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"},
)
ARCHIVES = FileKind(
    "archives",
    {
        ".zip": "application/zip",
        ".rar": "application/vnd.rar",
        ".7z": "application/x-7z-compressed",
        ".tar": "application/x-tar",
        ".gz": "application/gzip",
        ".tgz": "application/gzip",
    },
)
AUDIO = FileKind(
    "audio",
    {
        ".mp3": "audio/mpeg",
        ".wav": "audio/wav",
        ".flac": "audio/flac",
        ".m4a": "audio/mp4",
        ".ogg": "audio/ogg",
        ".aac": "audio/aac",
    },
)
VIDEO = FileKind(
    "video",
    {
        ".mp4": "video/mp4",
        ".mov": "video/quicktime",
        ".webm": "video/webm",
        ".mkv": "video/x-matroska",
    },
)
DOCUMENTS = FileKind(
    "office documents",
    {
        ".doc": "application/msword",
        ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".xls": "application/vnd.ms-excel",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ".ppt": "application/vnd.ms-powerpoint",
        ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ".odt": "application/vnd.oasis.opendocument.text",
        ".ods": "application/vnd.oasis.opendocument.spreadsheet",
        ".odp": "application/vnd.oasis.opendocument.presentation",
        ".rtf": "application/rtf",
    },
)
# Plain text only: a browser shows it as text whatever it contains. Subtitles belong to
# video work.
TEXT = FileKind(
    "text",
    {
        ".txt": "text/plain; charset=utf-8",
        ".md": "text/plain; charset=utf-8",
        ".csv": "text/csv; charset=utf-8",
        ".srt": "text/plain; charset=utf-8",
        ".vtt": "text/plain; charset=utf-8",
    },
)
EVERY_KIND = (DESIGN, IMAGES, FONTS, ARCHIVES, AUDIO, VIDEO, DOCUMENTS, TEXT)


def _human_size(size: int) -> str:
    return f"{size // MB} MB" if size % MB == 0 else f"{size} bytes"


@dataclass(frozen=True)
class UploadRules:
    """What one purpose accepts: the kinds of file, the size of each, how many at once."""

    purpose: Purpose
    kinds: tuple[FileKind, ...]
    max_bytes: int
    # Files one use may carry: a delivery's attachments, or one file per answer.
    max_files: int

    def served_type(self, extension: str) -> str | None:
        """The Content-Type a file with ``extension`` is served with; None if refused."""
        for kind in self.kinds:
            if extension in kind.types:
                return kind.types[extension]
        return None

    @property
    def extensions(self) -> tuple[str, ...]:
        return tuple(ext for kind in self.kinds for ext in kind.types)

    @property
    def size_text(self) -> str:
        return _human_size(self.max_bytes)

    @property
    def types_text(self) -> str:
        """``design files (SVG, PDF, AI, EPS, PSD); images (PNG, …); …``"""
        return "; ".join(f"{kind.label} ({kind.extensions_text()})" for kind in self.kinds)

    @property
    def help_text(self) -> str:
        if self.max_files == 1:
            return f"One file of up to {self.size_text}: {self.types_text}."
        return f"Up to {self.max_files} files, {self.size_text} each: {self.types_text}."

    @property
    def accept(self) -> str:
        """The ``accept`` attribute of a file input: the same extensions."""
        return ",".join(self.extensions)


# Sizes: a delivery may be a finished video. 500 MB holds several minutes of 1080p or
# 4K footage at the bitrates editors deliver in; longer masters are better sent through a
# transfer service linked in the note than through a web form. Requirements are briefs,
# references, manuscripts and raw recordings: 200 MB is plenty and halves what one
# client can make the platform store for a request that may be declined.
RULES: Mapping[Purpose, UploadRules] = {
    Purpose.REQUIREMENT: UploadRules(
        Purpose.REQUIREMENT, EVERY_KIND, max_bytes=200 * MB, max_files=1
    ),
    Purpose.DELIVERY: UploadRules(Purpose.DELIVERY, EVERY_KIND, max_bytes=500 * MB, max_files=10),
    # Evidence for a dispute: screenshots, the files exchanged, a recording; the work
    # itself is already in the contract's deliveries.
    Purpose.DISPUTE: UploadRules(Purpose.DISPUTE, EVERY_KIND, max_bytes=200 * MB, max_files=10),
    # A quote request's attachments are the same kind of brief as requirement files (and
    # become the contract's when an offer is accepted), so the same types and size; a few
    # files are enough to explain the work, and the request may well be declined.
    Purpose.QUOTE: UploadRules(Purpose.QUOTE, EVERY_KIND, max_bytes=200 * MB, max_files=5),
}

# Uploads a person holds that are not attached to anything yet (a file sent ahead of a
# delivery, a form that was refused): enough for a full delivery and a form re-sent a few
# times, not enough to use the platform as free storage. Unattached uploads are deleted a
# day after they were made (``uploads_purge_stale``).
MAX_PENDING_UPLOADS = 30
MAX_PENDING_BYTES = 5 * 1024 * MB

# The types an upload may be served with: the table's, and nothing else.
SERVED_TYPES = frozenset(
    t for rules in RULES.values() for kind in rules.kinds for t in kind.types.values()
) | {OCTET_STREAM}


def rules_for(purpose: str) -> UploadRules | None:
    try:
        return RULES[Purpose(purpose)]
    except ValueError:
        return None
