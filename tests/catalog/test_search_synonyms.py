"""The operators' synonym list: edited in the admin, applied by search."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fairlance.catalog.models import SearchSynonym
from fairlance.catalog.search import SearchParams, search_projects
from fairlance.catalog.search.query import synonym_entry_words
from tests.catalog.factories import make_published
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
ADD = "/admin/catalog/searchsynonym/add/"


def titles(q: str) -> list[str]:
    return [r.title for r in search_projects(SearchParams(q=q)).results]


def test_an_operator_adds_a_synonym_and_search_uses_it(freelancer: Any) -> None:
    make_published(freelancer, title="WordPress theme setup", tags=["wordpress"])
    assert titles("wp") == []
    operator = make_user("op@example.com", is_operator=True, is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(operator)
    response = admin.post(ADD, {"words": "WP,  WordPress", "note": "abbreviation"})
    assert response.status_code == 302
    assert SearchSynonym.objects.get().words == "wp, wordpress"
    assert titles("wp") == ["WordPress theme setup"]


@pytest.mark.parametrize("words", ["wordpress", "wp, wp", "voice over, voiceover", ""])
def test_an_entry_needs_two_single_words(words: str) -> None:
    operator = make_user("op@example.com", is_operator=True, is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(operator)
    response = admin.post(ADD, {"words": words})
    assert response.status_code == 200  # the form again, with the error
    assert not SearchSynonym.objects.exists()


def test_only_admins_reach_the_list(freelancer: Any) -> None:
    assert Client().get(ADD).status_code == 302  # anonymous: to the login page
    member = Client()
    member.force_login(freelancer)
    assert member.get(ADD).status_code == 302  # not staff: to the login page


def test_entry_words_are_folded_and_single() -> None:
    assert synonym_entry_words("CV, Résumé, curriculum vitae, cv") == ["cv", "resume"]
