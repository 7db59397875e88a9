"""``user_from_bearer``: the token's user, as the ORM would load it, in one statement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from fairlance.accounts.models import ApiToken, User, WorkingCalendar
from fairlance.api.auth import user_from_bearer
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _token_for(user: User) -> str:
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=user, digest=ApiToken.digest_of(raw), name="t")
    return raw


def _fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_user_and_calendar_are_the_orms_in_one_statement(
    freelancer: User, django_assert_num_queries: Any
) -> None:
    raw = _token_for(freelancer)
    ApiToken.objects.update(last_used_at=timezone.now())  # no refresh write this time
    with django_assert_num_queries(1):
        user = user_from_bearer(raw)
        assert user is not None
        calendar = user.calendar  # loaded with the user: no second query
    assert _fields(user) == _fields(User.objects.get(pk=freelancer.pk))
    assert _fields(calendar) == _fields(WorkingCalendar.objects.get(user=freelancer))


def test_a_user_without_a_calendar_costs_no_second_query(django_assert_num_queries: Any) -> None:
    user = make_user("nocal@example.com")
    WorkingCalendar.objects.filter(user=user).delete()
    raw = _token_for(user)
    ApiToken.objects.update(last_used_at=timezone.now())
    with django_assert_num_queries(1):
        found = user_from_bearer(raw)
        assert found is not None and found.pk == user.pk
        assert not hasattr(found, "calendar")  # known to be missing, not read again


def test_unknown_tokens_and_inactive_users_get_nobody(freelancer: User) -> None:
    raw = _token_for(freelancer)
    assert user_from_bearer(raw + "x") is None
    User.objects.filter(pk=freelancer.pk).update(is_active=False)
    assert user_from_bearer(raw) is None


def test_last_use_is_refreshed_at_most_once_a_minute(freelancer: User) -> None:
    raw = _token_for(freelancer)
    user_from_bearer(raw)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    user_from_bearer(raw)
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    user_from_bearer(raw)
    assert ApiToken.objects.get().last_used_at > first - timedelta(minutes=2)
