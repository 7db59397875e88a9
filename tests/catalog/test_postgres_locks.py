"""Row locks in catalog writes hold under real concurrency (PostgreSQL only)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fairlance.catalog.models import GalleryImage, Tier
from fairlance.catalog.services import gallery_image_add, project_update
from fairlance.core.errors import Conflict
from tests.catalog.factories import make_project, tier
from tests.concurrency import run_in_threads
from tests.conftest import is_postgres

pytestmark = [
    pytest.mark.postgres,
    # serialized_rollback restores the seeded categories that a flush would remove.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (set DATABASE_URL)"),
]


def jpeg() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 0, 0)).save(out, format="JPEG")
    return SimpleUploadedFile("a.jpg", out.getvalue(), content_type="image/jpeg")


def test_concurrent_uploads_never_exceed_the_gallery_limit(freelancer):
    # given a gallery one image short of its limit
    project = make_project(freelancer)
    for _ in range(7):
        gallery_image_add(project=project, actor=freelancer, upload=jpeg())
    # when four uploads race for the last place
    results = run_in_threads(
        4, lambda i: gallery_image_add(project=project, actor=freelancer, upload=jpeg())
    )
    # then exactly one wins and the others are told the gallery is full
    assert sum(isinstance(r, GalleryImage) for r in results) == 1
    assert sum(isinstance(r, Conflict) and r.code == "gallery_full" for r in results) == 3
    assert GalleryImage.objects.filter(project=project).count() == 8


def test_concurrent_tier_edits_apply_whole_lists(freelancer):
    # given a project, and two editors each sending a different full tier list
    project = make_project(freelancer)
    lists = [
        [tier("A1", 1_000, 1), tier("A2", 2_000, 2), tier("A3", 3_000, 3)],
        [tier("B1", 9_000, 9)],
    ]
    # when both save at the same moment
    results = run_in_threads(
        2, lambda i: project_update(project=project, actor=freelancer, tiers=lists[i])
    )
    # then both succeed one after the other, and the result is one list, never a mix
    assert not [r for r in results if isinstance(r, Exception)]
    names = list(Tier.objects.filter(project=project).values_list("name", flat=True))
    assert names in (["A1", "A2", "A3"], ["B1"])
    project.refresh_from_db()
    assert project.from_price_minor == (1_000 if names[0] == "A1" else 9_000)
