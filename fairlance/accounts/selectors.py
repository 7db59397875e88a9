"""Reads on accounts: who an address signs in to, the caller's calendar and API tokens,
and other people's public profiles."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from fairlance.accounts.models import ApiToken, User, WorkingCalendar
from fairlance.core.errors import NotFound

#: Ids outside a signed 64-bit integer would overflow the database driver (a 500).
MAX_ID = 2**63 - 1


def users_by_login_address(*, email: str) -> list[User]:
    """The accounts a person typing ``email`` may sign in to, or reset the password of.

    An address belongs to the account that verified it. Only when nobody has verified it
    does it still lead to the account whose primary address it is: a sign-up waiting for
    its confirmation, which can only finish by proving the mailbox (allauth's mandatory
    verification, or a reset link sent there). An unverified *secondary* address leads
    nowhere: anybody can type someone else's address into their own account, and it must
    not let them receive that person's reset links, sign in with it, or block their
    sign-up. (allauth's own look-up counts every stored address, verified or not.)
    Inactive accounts are included; callers decide what they may do.
    """
    address = email.strip().lower()
    if not address:
        return []
    # allauth keeps at most one verified row per address (a unique constraint).
    owner = User.objects.filter(emailaddress__email=address, emailaddress__verified=True).first()
    if owner is not None:
        return [owner]
    return list(User.objects.filter(email=address))


def address_is_verified(*, user: User, email: str) -> bool:
    """Whether ``user`` has confirmed owning ``email``."""
    return EmailAddress.objects.filter(
        user=user, email=email.strip().lower(), verified=True
    ).exists()


def tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """The user's API tokens, newest first (the raw secrets are never stored)."""
    return ApiToken.objects.filter(user=user).order_by("-pk")


def calendar_of(*, user: User) -> WorkingCalendar:
    """The user's calendar; an unsaved default one if sign-up never created it.

    Reading never writes: the row appears on the first ``calendar_update``.
    """
    calendar = WorkingCalendar.objects.filter(user=user).select_related("user").first()
    if calendar is None:
        calendar = WorkingCalendar(user=user)
    return calendar


def access_public_profile(*, viewer: User | AnonymousUser, user_id: int) -> User:
    """A freelancer's public profile, with calendar and time off prefetched.

    A public profile is a seller's: someone who has published a project at least once
    (pausing or archiving it later does not take their profile away). Anyone else's id —
    a client's, an operator's, a deactivated account's — is not found, so the endpoint
    cannot be walked id by id to learn who the marketplace's clients and operators are,
    their countries and time zones (issue 11, item 21). People always see their own.
    Suspended freelancers are hidden from everyone but themselves and operators, like
    their projects. The error never says which case it was.
    """
    if not 1 <= user_id <= MAX_ID:
        raise NotFound("No such freelancer.")
    user = (
        User.objects.filter(pk=user_id, is_active=True)
        .select_related("calendar")
        .prefetch_related("time_off")
        .first()
    )
    if user is None:
        raise NotFound("No such freelancer.")
    if viewer.is_authenticated and viewer.pk == user.pk:
        return user
    sells = user.projects.filter(published_at__isnull=False).exists()
    if not sells:
        raise NotFound("No such freelancer.")
    if user.is_suspended and not getattr(viewer, "is_operator", False):
        raise NotFound("No such freelancer.")
    return user
