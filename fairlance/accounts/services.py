"""Writes on accounts: sign-up completion, profile and calendar changes, tokens."""

from __future__ import annotations

from django.db import transaction

from fairlance.accounts.models import User, WorkingCalendar


@transaction.atomic
def user_finish_signup(*, user: User, display_name: str = "") -> User:
    """Give a new user a display name and a default working calendar."""
    if display_name:
        user.display_name = display_name.strip()[:80]
        user.save(update_fields=["display_name"])
    WorkingCalendar.objects.get_or_create(user=user)
    return user


def user_create(
    *, email: str, password: str | None, display_name: str = "", **profile: object
) -> User:
    """Create a user with a calendar (demo data, tests, admin scripts)."""
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, display_name=display_name, **profile
        )
        WorkingCalendar.objects.create(user=user)
    return user
