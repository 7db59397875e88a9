"""The upload service: every rule about a file in one place, and files kept in step with rows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from fairlance.contracts.engine import Actor, apply_transition
from fairlance.contracts.services import contract_purchase
from fairlance.core.errors import Conflict, InvalidInput
from fairlance.files import kinds
from fairlance.files.models import Upload
from fairlance.files.services import (
    clean_file_name,
    upload_create,
    uploads_discard,
    uploads_purge_stale,
)
from fairlance.payments.provider import CARD_SUCCESS
from tests.conftest import make_user
from tests.contracts.conftest import make_project

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)

# What people sell (issue 10, item 7): each of these is accepted for a delivery.
DELIVERABLES = [
    "logo.svg",
    "logo.pdf",
    "logo.ai",
    "logo.eps",
    "mockup.psd",
    "brand.ttf",
    "brand.otf",
    "brand.woff",
    "brand.woff2",
    "site.zip",
    "site.rar",
    "site.7z",
    "site.tar",
    "site.tar.gz",
    "jingle.mp3",
    "jingle.wav",
    "jingle.flac",
    "jingle.m4a",
    "jingle.ogg",
    "jingle.aac",
    "promo.mp4",
    "promo.mov",
    "promo.webm",
    "promo.mkv",
    "report.docx",
    "sheet.xlsx",
    "deck.pptx",
    "report.odt",
    "photo.png",
    "photo.jpg",
    "photo.jpeg",
    "photo.webp",
    "photo.tiff",
    "notes.txt",
    "subs.srt",
    "data.csv",
]


def upload(user: Any, name: str, body: bytes = b"data", purpose: str = "delivery") -> Upload:
    return upload_create(uploader=user, purpose=purpose, content=ContentFile(body, name=name))


def refused(exc: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str]:
    (error,) = exc.value.errors
    return error["field"], error["code"]


@pytest.mark.parametrize("name", DELIVERABLES)
def test_every_deliverable_type_people_sell_is_accepted(freelancer, name):
    # When a freelancer uploads one of the types their projects promise
    made = upload(freelancer, name)

    # Then it is stored under a random name, with the name they gave
    assert made.name == name and made.size == 4 and made.contract_id is None
    assert name not in made.file.name and made.file.name.startswith("uploads/")
    assert default_storage.open(made.file.name).read() == b"data"


@pytest.mark.parametrize(
    ("name", "served_as"),
    [
        ("logo.svg", "application/octet-stream"),  # an XML document that can carry scripts
        ("logo.ai", "application/octet-stream"),
        ("logo.pdf", "application/pdf"),
        ("photo.PNG", "image/png"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("promo.mp4", "video/mp4"),
    ],
)
def test_the_served_type_comes_from_the_table_never_from_the_uploader(freelancer, name, served_as):
    # Given a browser that claims the file is a web page
    content = ContentFile(b"<svg onload=alert(1)>", name=name)
    content.content_type = "text/html"  # type: ignore[attr-defined]

    made = upload_create(uploader=freelancer, purpose="delivery", content=content)

    assert made.content_type == served_as


@pytest.mark.parametrize(
    "name", ["run.exe", "page.html", "page.htm", "app.js", "feed.xml", "README", "x.svgz", ".svg"]
)
def test_types_outside_the_list_are_refused_and_nothing_is_stored(freelancer, name):
    with pytest.raises(InvalidInput) as exc:
        upload(freelancer, name)

    assert refused(exc) == ("file", "file_type")
    assert "not accepted" in exc.value.errors[0]["message"]
    assert not Upload.objects.exists()


def test_empty_files_and_unknown_purposes_are_refused(freelancer):
    with pytest.raises(InvalidInput) as exc:
        upload(freelancer, "logo.svg", b"")
    assert refused(exc) == ("file", "empty_file")

    with pytest.raises(InvalidInput) as exc:
        upload(freelancer, "logo.svg", purpose="avatar")
    assert refused(exc) == ("purpose", "invalid_choice")
    assert not Upload.objects.exists()


def test_each_purpose_has_its_own_size_limit(freelancer, monkeypatch):
    # Given limits small enough to test (the real ones are 200 and 500 MB)
    small = {
        kinds.Purpose.REQUIREMENT: dataclasses.replace(
            kinds.RULES[kinds.Purpose.REQUIREMENT], max_bytes=10
        ),
        kinds.Purpose.DELIVERY: dataclasses.replace(
            kinds.RULES[kinds.Purpose.DELIVERY], max_bytes=20
        ),
    }
    monkeypatch.setattr(kinds, "RULES", small)

    # Then 15 bytes is too much for a requirement but fine for a delivery
    with pytest.raises(InvalidInput) as exc:
        upload(freelancer, "brief.pdf", b"x" * 15, purpose="requirement")
    assert refused(exc) == ("file", "file_too_large")
    assert upload(freelancer, "final.pdf", b"x" * 15).size == 15
    with pytest.raises(InvalidInput):
        upload(freelancer, "final.pdf", b"x" * 21)


def test_the_real_limits_fit_video_and_are_what_the_help_text_says():
    delivery = kinds.RULES[kinds.Purpose.DELIVERY]
    assert delivery.max_bytes == 500 * 1024 * 1024 and delivery.max_files == 10
    assert delivery.help_text.startswith("Up to 10 files, 500 MB each: design files (SVG, PDF")
    for word in ("TTF", "WOFF2", "RAR", "7Z", "FLAC", "MKV", "DOCX", "MP4"):
        assert word in delivery.help_text and f".{word.lower()}" in delivery.accept
    requirement = kinds.RULES[kinds.Purpose.REQUIREMENT]
    assert requirement.help_text.startswith("One file of up to 200 MB:")


def test_a_person_cannot_pile_up_unused_uploads(freelancer, monkeypatch):
    # Given a person who already holds the most unused uploads allowed
    monkeypatch.setattr(kinds, "MAX_PENDING_UPLOADS", 2)
    upload(freelancer, "a.pdf")
    upload(freelancer, "b.pdf")

    # Then a third is refused until they use or lose one
    with pytest.raises(Conflict) as exc:
        upload(freelancer, "c.pdf")
    assert exc.value.code == "upload_limit"
    # Another person is not affected
    assert upload(make_user("other@example.com"), "c.pdf")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../requirements/5/brief.pdf", "brief.pdf"),
        ("C:\\Users\\me\\logo.svg", "logo.svg"),
        ("logo\u202egvs.exe", "logogvs.exe"),  # a right-to-left override hides ".exe"
        ("zero\u200bwidth.pdf", "zerowidth.pdf"),
        ('we"ird;name.pdf', "we_ird_name.pdf"),
        ("   spaced    out .pdf  ", "spaced out .pdf"),
        ("...hidden.pdf", "hidden.pdf"),
        ("new\nline.pdf", "newline.pdf"),
        ("", "file"),
        ("a" * 300 + ".woff2", "a" * 194 + ".woff2"),
    ],
)
def test_names_are_cleaned(raw, clean):
    assert clean_file_name(raw) == clean


def test_the_file_type_is_read_from_the_cleaned_name(freelancer):
    # "logo.svg<RLO>" would otherwise look like one type and be another
    with pytest.raises(InvalidInput):
        upload(freelancer, "photo\u202egnp.exe")


def test_discarding_removes_the_file_and_the_row_but_only_the_uploaders(freelancer):
    # Given two uploads of one person
    mine, kept = upload(freelancer, "a.pdf"), upload(freelancer, "b.pdf")

    # When somebody else tries to discard one, nothing happens
    assert uploads_discard(uploader=make_user("eve@example.com"), uploads=[mine]) == 0

    # When its uploader discards it, the file and the row are gone, the other stays
    assert uploads_discard(uploader=freelancer, uploads=[mine]) == 1
    assert not default_storage.exists(mine.file.name)
    assert list(Upload.objects.all()) == [kept]
    assert default_storage.exists(kept.file.name)


def test_the_worker_deletes_uploads_never_attached_after_a_day(freelancer, client_user):
    with time_machine.travel(START, tick=False) as clock:
        # Given an upload made now and one made 23 hours later
        old = upload(freelancer, "old.pdf")
        clock.shift(timedelta(hours=23))
        young = upload(freelancer, "young.pdf")

        # When the worker runs a day after the first
        clock.shift(timedelta(hours=1, seconds=1))
        call_command("worker", "--once", verbosity=0)

        # Then the first is gone, file and row; the younger one stays
        assert not default_storage.exists(old.file.name)
        assert list(Upload.objects.all()) == [young]

        # And an upload that was delivered is never swept
        project = make_project(freelancer, questions=False)
        contract = contract_purchase(
            client=client_user,
            project_id=project.pk,
            tier_id=project.tiers.get().pk,
            card_number=CARD_SUCCESS,
        ).contract
        apply_transition(
            contract_id=contract.pk,
            name="deliver",
            actor=Actor("freelancer", freelancer),
            payload={"files": [str(young.public_id)]},
        )
        clock.shift(timedelta(days=3))
        assert uploads_purge_stale(now=timezone.now()) == 0
        assert default_storage.exists(young.file.name)


def test_the_admin_lists_uploads_read_only(freelancer):
    made = upload(freelancer, "logo.svg")
    web = Client()
    web.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))

    assert "logo.svg" in web.get("/admin/files/upload/").content.decode()
    page = web.get(f"/admin/files/upload/{made.pk}/change/").content.decode()
    assert "logo.svg" in page and made.file.name not in page
    assert web.get("/admin/files/upload/add/").status_code == 403
    assert web.post(f"/admin/files/upload/{made.pk}/delete/").status_code == 403
