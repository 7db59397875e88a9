"""Gallery uploads: accept only real images, and store only what we re-encoded ourselves.

An upload is never stored as sent. We check the size, let Pillow read the header (format
and dimensions) before decoding anything, ``verify()`` the file, then open it again (a
verified image cannot be used further) and re-encode it. Re-encoding drops metadata (EXIF
with GPS positions, comments) and anything smuggled after the image data.
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from fairlance.core.errors import InvalidInput, field_error

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A gallery picture is shown at most 1600 px wide; 24 megapixels (a 6000 x 4000 camera
# photo) is far more than enough, and decoding grows with the pixel count, not the file
# size: a one-colour PNG of 40 megapixels is a few kilobytes on disk, yet decoding it
# keeps a web worker busy far longer than any page does.
MAX_PIXELS = 6000 * 4000
MAX_PIXELS_TEXT = "24 megapixels"
MAX_WIDTH = 1600
MAX_IMAGES_PER_PROJECT = 8
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
JPEG_QUALITY = 85
WEBP_QUALITY = 85

# Pillow's own decompression-bomb guard, set to our limit on purpose: ``Image.open`` then
# refuses any larger image from its header (with a DecompressionBombWarning, which
# ``process_upload`` turns into an error; above twice the limit Pillow raises by itself),
# before a single pixel is decoded. It is a process-wide setting; nothing else here opens
# images people send.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class ProcessedImage:
    content: ContentFile[bytes]
    width: int
    height: int
    format: str


def _invalid(message: str, code: str, field: str) -> InvalidInput:
    return InvalidInput(message, errors=[field_error(field, message, code)])


def process_upload(upload: IO[bytes], *, size: int | None, field: str = "upload") -> ProcessedImage:
    """Validate an uploaded image and return it re-encoded (JPEG, or WebP to keep alpha).

    Raises ``InvalidInput`` for anything that is not a JPEG, PNG or WebP within the
    size and pixel limits. Nothing is written anywhere.
    """
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise _invalid("The image is larger than 5 MB.", "file_too_large", field)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _invalid("The image is larger than 5 MB.", "file_too_large", field)
    if not data:
        raise _invalid("The file is empty.", "empty_file", field)

    too_many_pixels = _invalid(
        f"The image has more than {MAX_PIXELS_TEXT} (6000 by 4000 pixels, for example); "
        "scale it down and upload it again.",
        "too_many_pixels",
        field,
    )
    with warnings.catch_warnings():
        # Pillow warns on an image above MAX_IMAGE_PIXELS (ours) from its header, before
        # decoding: an error here, so the image is refused rather than decoded.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                width, height = probe.size
                if fmt not in ACCEPTED_FORMATS:
                    raise _invalid(
                        "Only JPEG, PNG and WebP images are accepted.", "unsupported_format", field
                    )
                # Pillow's guard has already refused this, unless something in the process
                # changed its global limit; the rule stays ours either way.
                if width * height > MAX_PIXELS:
                    raise too_many_pixels
                probe.verify()
            with Image.open(io.BytesIO(data)) as opened:
                opened.load()
                return _reencode(ImageOps.exif_transpose(opened))
        except InvalidInput:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise too_many_pixels from exc
        except (
            UnidentifiedImageError,
            OSError,
            SyntaxError,  # raised by some Pillow plugins for corrupt headers
            ValueError,
            EOFError,
        ) as exc:
            raise _invalid("The file is not a readable image.", "invalid_image", field) from exc


def _reencode(image: Image.Image) -> ProcessedImage:
    if image.width > MAX_WIDTH:
        height = max(1, round(image.height * MAX_WIDTH / image.width))
        image = image.resize((MAX_WIDTH, height), Image.Resampling.LANCZOS)
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )
    out = io.BytesIO()
    if has_alpha:
        image = image.convert("RGBA")
        image.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
        fmt, ext = "WEBP", "webp"
    else:
        image = image.convert("RGB")
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        fmt, ext = "JPEG", "jpg"
    # A random name: the uploader's file name is theirs, not something to publish.
    content = ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}")
    return ProcessedImage(content=content, width=image.width, height=image.height, format=fmt)
