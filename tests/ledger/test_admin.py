"""The admin shows ledger rows but offers no way to add, change or delete them."""

from __future__ import annotations

import pytest
from django.test import Client

from fairlance.ledger.models import JournalEntry
from tests.conftest import make_user
from tests.ledger.conftest import fund_escrow

pytestmark = pytest.mark.django_db


def test_admin_ledger_pages_are_read_only(settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # given a superuser and one entry
    fund_escrow(1, 100)
    entry = JournalEntry.objects.get()
    web = Client()
    web.force_login(make_user("root@example.com", is_staff=True, is_superuser=True))

    # then lists and detail pages show, and add/delete are refused
    assert web.get("/admin/ledger/journalentry/").status_code == 200
    assert web.get(f"/admin/ledger/journalentry/{entry.pk}/change/").status_code == 200
    assert web.get("/admin/ledger/ledgeraccount/").status_code == 200
    assert web.get("/admin/ledger/pendingclearance/").status_code == 200
    assert web.get("/admin/payments/paymentattempt/").status_code == 200
    assert web.get("/admin/payments/providerintent/").status_code == 200
    assert web.get("/admin/payments/providerintent/add/").status_code == 403
    assert web.get("/admin/ledger/journalentry/add/").status_code == 403
    assert web.post(f"/admin/ledger/journalentry/{entry.pk}/delete/").status_code == 403
    assert JournalEntry.objects.count() == 1
