from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from fairlance.catalog.images import MAX_PIXELS, MAX_UPLOAD_BYTES, process_upload
from fairlance.catalog.models import GalleryImage
from fairlance.catalog.services import gallery_image_add, gallery_image_remove
from fairlance.core.errors import Conflict, InvalidInput, NotFound
from tests.catalog.factories import make_project
from tests.conftest import assert_problem
from tests.web.conftest import login


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def upload(data: bytes, name: str = "pic.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def error_code(exc: pytest.ExceptionInfo[InvalidInput]) -> str:
    return exc.value.errors[0]["code"]


def test_large_jpeg_is_resized_to_1600_wide_and_reencoded():
    # given a 2400x1200 JPEG with EXIF metadata
    source = Image.new("RGB", (2400, 1200), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    data = encode(source, "JPEG", exif=exif.tobytes())
    # when processed
    result = process_upload(io.BytesIO(data), size=len(data))
    # then it is a JPEG 1600 px wide, same aspect, without the metadata
    assert (result.width, result.height) == (1600, 800)
    out = Image.open(io.BytesIO(result.content.read()))
    assert out.format == "JPEG"
    assert out.size == (1600, 800)
    assert 0x010F not in out.getexif()
    assert result.content.name.endswith(".jpg")


def test_png_with_transparency_becomes_webp():
    data = encode(Image.new("RGBA", (300, 200), (0, 0, 0, 0)), "PNG")
    result = process_upload(io.BytesIO(data), size=len(data))
    assert result.format == "WEBP"
    assert Image.open(io.BytesIO(result.content.read())).mode == "RGBA"


def test_small_opaque_webp_keeps_its_size_and_becomes_jpeg():
    data = encode(Image.new("RGB", (640, 480), (10, 10, 200)), "WEBP")
    result = process_upload(io.BytesIO(data), size=len(data))
    assert (result.format, result.width, result.height) == ("JPEG", 640, 480)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (encode(Image.new("RGB", (10, 10)), "GIF"), "unsupported_format"),
        (encode(Image.new("RGB", (10, 10)), "BMP"), "unsupported_format"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "invalid_image"),
        (b"not an image at all", "invalid_image"),
        (encode(Image.new("RGB", (50, 50)), "PNG")[:60], "invalid_image"),
        # 48 megapixels, tiny on disk: refused from the header, before decoding
        (encode(Image.new("1", (8000, 6000)), "PNG"), "too_many_pixels"),
        (b"", "empty_file"),
    ],
)
def test_bad_uploads_are_refused(data, code):
    with pytest.raises(InvalidInput) as exc:
        process_upload(io.BytesIO(data), size=len(data))
    assert error_code(exc) == code


# --- decompression bombs (issue 11, item 20) ---------------------------------------------
# A one-colour PNG of tens of megapixels is a few kilobytes on disk: it passes any size
# check, and decoding it kept a worker busy for seconds (39 MP was under the old 40 MP
# limit, and Pillow's own guard only starts at 89 MP).


def bomb(width: int, height: int) -> bytes:
    """A PNG of width x height pixels, tiny on disk (one bit per pixel, all zero)."""
    return encode(Image.new("1", (width, height)), "PNG")


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any image's pixels are decoded."""

    def decode(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)


@pytest.mark.parametrize(
    "size",
    [(6500, 6000), (6001, 4000), (10_000, 6000)],
    ids=["39 MP", "just over", "above Pillow's hard limit"],
)
def test_images_over_24_megapixels_are_refused_from_the_header(size, no_decoding):
    data = bomb(*size)
    assert len(data) < 100_000  # small on disk: the size limit does not catch it

    with pytest.raises(InvalidInput) as exc:
        process_upload(io.BytesIO(data), size=len(data))

    assert error_code(exc) == "too_many_pixels"
    assert "24 megapixels" in exc.value.errors[0]["message"]


def test_pillow_guards_at_our_limit():
    # Image.open itself refuses above the limit, for any code in the process.
    assert Image.MAX_IMAGE_PIXELS == MAX_PIXELS == 24_000_000


def test_a_bomb_is_refused_by_the_gallery_page_and_the_api(freelancer, api):
    project = make_project(freelancer)
    data = bomb(6500, 6000)

    # The page says why, next to the file field (not Django's "not a valid image").
    page = login(freelancer).post(
        f"/my/projects/{project.pk}/gallery/",
        {"upload": upload(data, "poster.png", "image/png"), "alt_text": "Poster"},
    )
    assert page.status_code == 422
    assert "The image has more than 24 megapixels" in page.content.decode()

    # The API answers a problem document naming the field.
    c = api(freelancer)
    response = c.client.post(
        f"/api/v1/projects/{project.pk}/gallery",
        {"upload": upload(data, "poster.png", "image/png")},
        headers=c.headers,
    )
    body = assert_problem(response, 422, "invalid_input")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("upload", "too_many_pixels")]
    assert not GalleryImage.objects.exists()


def test_files_over_5_mb_are_refused_even_if_the_size_lies():
    data = b"\xff\xd8" + b"0" * MAX_UPLOAD_BYTES
    with pytest.raises(InvalidInput) as exc:
        process_upload(io.BytesIO(data), size=None)
    assert error_code(exc) == "file_too_large"


def jpeg_upload() -> SimpleUploadedFile:
    return upload(encode(Image.new("RGB", (400, 300), (0, 120, 0)), "JPEG"))


def test_gallery_add_and_remove(freelancer, settings):
    # given a project
    project = make_project(freelancer)
    # when the owner adds an image
    image = gallery_image_add(
        project=project, actor=freelancer, upload=jpeg_upload(), alt_text="A green logo"
    )
    # then it is stored re-encoded with its dimensions
    stored = GalleryImage.objects.get(pk=image.pk)
    assert (stored.width, stored.height, stored.alt_text) == (400, 300, "A green logo")
    path = settings.MEDIA_ROOT / stored.image.name
    assert path.exists()
    # when removed
    gallery_image_remove(project=project, actor=freelancer, image_id=image.pk)
    # then the row is gone (the file goes after commit)
    assert not GalleryImage.objects.filter(pk=image.pk).exists()


def test_gallery_holds_at_most_eight_images(freelancer):
    project = make_project(freelancer)
    for _ in range(8):
        gallery_image_add(project=project, actor=freelancer, upload=jpeg_upload())
    with pytest.raises(Conflict) as exc:
        gallery_image_add(project=project, actor=freelancer, upload=jpeg_upload())
    assert exc.value.code == "gallery_full"
    assert project.gallery.count() == 8


def test_gallery_of_someone_else_is_not_found(freelancer, stranger):
    project = make_project(freelancer)
    image = gallery_image_add(project=project, actor=freelancer, upload=jpeg_upload())
    with pytest.raises(NotFound):
        gallery_image_add(project=project, actor=stranger, upload=jpeg_upload())
    with pytest.raises(NotFound):
        gallery_image_remove(project=project, actor=stranger, image_id=image.pk)
    assert project.gallery.count() == 1
