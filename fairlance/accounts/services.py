"""Writes on accounts: sign-up completion, addresses, passwords, API tokens, profile and
calendar changes."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.db import transaction

from fairlance.accounts import places, throttle
from fairlance.accounts.models import ApiToken, TimeOff, User, WorkingCalendar
from fairlance.accounts.selectors import address_is_verified
from fairlance.core.errors import (
    ConflictingInput,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    field_error,
)
from fairlance.core.text import TextError, TextRule, clean_text
from fairlance.core.workdays import DAY_ABBR, MONTH_ABBR, merged_range_end

DISPLAY_NAME_MAX = 80
HEADLINE_MAX = 140
BIO_MAX = 5000
NOTE_MAX = 140
# What each text field accepts (fairlance.core.text); the API's schemas publish the same.
DISPLAY_NAME = TextRule(min_length=1, max_length=DISPLAY_NAME_MAX)
HEADLINE = TextRule(max_length=HEADLINE_MAX)
BIO = TextRule(max_length=BIO_MAX, multiline=True)
NOTE = TextRule(max_length=NOTE_MAX)
#: The model stores subdivision codes in 40 characters; longer ones cannot be saved.
SUBDIVISION_MAX = 40
#: A single absence may last a year (366 days, a leap year's worth) at most.
TIME_OFF_MAX_DAYS = 366
#: Every working-day clock reads all of a freelancer's ranges; keep that list short.
TIME_OFF_MAX_RANGES = 100
#: An API token's label, as the model stores it.
TOKEN_NAME_MAX = 80
TOKEN_NAME = TextRule(max_length=TOKEN_NAME_MAX)
# A token made on purpose (the tokens page, POST /auth/tokens) is named; one handed out at
# sign-in (POST /auth/token) may be left unnamed.
TOKEN_NAME_REQUIRED = TextRule(min_length=1, max_length=TOKEN_NAME_MAX)


def signup_display_name_clean(display_name: str) -> str:
    """The display name a sign-up form gave, checked like any display name; "" if none.

    Raises ``InvalidInput`` (field ``display_name``) when it breaks the rule.
    """
    if not display_name.strip():
        return ""
    errors: list[dict[str, Any]] = []
    clean = _clean_text("display_name", display_name, DISPLAY_NAME, errors)
    if errors:
        raise InvalidInput(errors=errors)
    return clean


@transaction.atomic
def user_finish_signup(*, user: User, display_name: str = "") -> User:
    """Give a new user a display name and a default working calendar.

    ``display_name`` is one ``signup_display_name_clean`` returned (or "").
    """
    if display_name:
        user.display_name = display_name
        user.save(update_fields=["display_name"])
    WorkingCalendar.objects.get_or_create(user=user)
    return user


def user_create(
    *,
    email: str,
    password: str | None,
    display_name: str = "",
    email_verified: bool = False,
    **profile: object,
) -> User:
    """Create a user with a calendar (demo data, tests, admin scripts).

    ``email_verified`` vouches for the address without a confirmation email: only for
    addresses the platform itself controls or trusts (demo accounts, tests). Without it the
    person confirms the address the first time they sign in, as after a sign-up.
    """
    with transaction.atomic():
        user = User.objects.create_user(
            email=email, password=password, display_name=display_name, **profile
        )
        WorkingCalendar.objects.create(user=user)
        if email_verified:
            user_mark_email_verified(user=user)
    return user


@transaction.atomic
def user_mark_email_verified(*, user: User) -> None:
    """Record the user's primary address as verified, without asking them to confirm it.

    Precondition: the address is vouched for by whoever calls this (see ``user_create``).
    Idempotent.
    """
    row, _ = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"primary": True, "verified": True}
    )
    if not (row.primary and row.verified):
        row.primary = row.verified = True
        row.save(update_fields=["primary", "verified"])
    EmailAddress.objects.filter(user=user, primary=True).exclude(pk=row.pk).update(primary=False)
    email_claims_release(email=user.email, owner=user)


def email_claims_release(*, email: str, owner: User) -> int:
    """Drop other accounts' unverified secondary claims on an address ``owner`` verified.

    Such a claim already leads nowhere (``selectors.users_by_login_address``); removing it
    keeps it from lingering in the other account's list as if it might still be confirmed
    (it cannot: allauth refuses to verify an address someone else has verified). A claim
    that is another account's primary address is kept: that account is a sign-up waiting
    for confirmation and still needs its row. Returns how many claims were dropped.
    """
    dropped, _ = (
        EmailAddress.objects.filter(email=email.strip().lower(), verified=False, primary=False)
        .exclude(user=owner)
        .delete()
    )
    return dropped


@transaction.atomic
def user_set_password(*, user: User, password: str | None) -> int:
    """Give the user a new password and revoke all their API tokens; returns how many.

    Every way a password changes calls this: allauth's change and reset pages (through the
    account adapter) and anything an operator scripts. A token is only as good as the
    password that let someone create it: a person changes a password because it may have
    leaked, and a thief's token must stop working with it. Django itself ends the user's
    other sessions, whose hash is derived from the password's.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    revoked, _ = ApiToken.objects.filter(user=user).delete()
    return revoked


# --- API tokens -------------------------------------------------------------------------


def token_create(*, user: User, name: str, named: bool = True) -> tuple[ApiToken, str]:
    """A new API token for ``user`` labelled ``name``; returns it with its raw secret.

    A token made on purpose must be named (``named``); one handed out at sign-in may not
    be. The raw secret exists only in this return value: the database keeps its SHA-256
    digest, so the caller shows it once and it can never be shown again.
    """
    errors: list[dict[str, Any]] = []
    label = _clean_text("name", name, TOKEN_NAME_REQUIRED if named else TOKEN_NAME, errors)
    if errors:
        raise InvalidInput(errors=errors)
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(user=user, digest=ApiToken.digest_of(raw), name=label)
    return token, raw


def token_sign_in(
    *, email: str, password: str, address: str, name: str = ""
) -> tuple[ApiToken, str]:
    """Exchange an address and its account's password for a new API token.

    ``address`` is the client's (``throttle.client_address``): the password is checked
    inside the one password throttle, so this raises ``TooManyAttempts`` while a wait is in
    force, ``NotAuthenticated`` (``invalid_credentials``) for a wrong address or password or
    a deactivated account, and ``PermissionDenied`` (``email_unverified``) for the right
    password on an address its account has not confirmed yet (a sign-up waiting for its
    confirmation email): programs must not get in where people would be stopped.
    """
    with throttle.password_attempt(
        account=throttle.account_for_email(email), address=address
    ) as attempt:
        user = authenticate(None, email=email, password=password)
        if not isinstance(user, User):
            raise NotAuthenticated("Email or password is wrong.", code="invalid_credentials")
        attempt.succeeded()
    if not address_is_verified(user=user, email=email):
        raise PermissionDenied(
            "Confirm your email address first: open the link we emailed you, or log in on the "
            "website to have a new one sent.",
            code="email_unverified",
        )
    return token_create(user=user, name=name, named=False)


def token_revoke(*, user: User, token_id: int) -> None:
    """Delete one of the user's own tokens; anyone else's id is simply not found."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFound("No such token.")


# --- Profile ----------------------------------------------------------------------------


def _clean_text(field: str, value: str, rule: TextRule, errors: list[dict[str, Any]]) -> str:
    try:
        return clean_text(value, rule=rule)
    except TextError as exc:
        errors.append(field_error(field, exc.message, exc.code))
        return value


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    headline: str | None = None,
    bio: str | None = None,
    country: str | None = None,
) -> User:
    """Change the public profile. ``None`` leaves a field as it is; "" clears the optional
    ones (a display name cannot be blank, or the profile would fall back to the email's
    local part). Nothing is written unless every field is valid.
    """
    errors: list[dict[str, Any]] = []
    changes: dict[str, str] = {}
    if display_name is not None:
        changes["display_name"] = _clean_text("display_name", display_name, DISPLAY_NAME, errors)
    if headline is not None:
        changes["headline"] = _clean_text("headline", headline, HEADLINE, errors)
    if bio is not None:
        changes["bio"] = _clean_text("bio", bio, BIO, errors)
    if country is not None:
        code = country.strip().upper()
        if code and not places.is_country(code):
            errors.append(
                field_error(
                    "country",
                    "Choose a country from the list (an ISO 3166-1 code such as PT or US).",
                    "unknown_country",
                )
            )
        changes["country"] = code
    if errors:
        raise InvalidInput(errors=errors)
    if changes:
        locked = User.objects.select_for_update().get(pk=user.pk)
        for name, value in changes.items():
            setattr(locked, name, value)
            setattr(user, name, value)
        locked.save(update_fields=list(changes))
    return user


# --- Working calendar -------------------------------------------------------------------


def _clean_holiday_region(
    country: str | None, subdivision: str | None, errors: list[dict[str, Any]]
) -> tuple[str, str]:
    """The holiday country and subdivision as stored ("PT", "11"); errors otherwise.

    The subdivision may come bare ("11") or with its country ("PT-11", as the settings
    page's list sends it).
    """
    country_code = (country or "").strip().upper()
    sub = (subdivision or "").strip()
    if not country_code:
        if sub:
            errors.append(
                field_error(
                    "holiday_subdivision", "Choose a holiday country first.", "requires_country"
                )
            )
        return "", ""
    name = places.holiday_country_name(country_code)
    if name is None:
        errors.append(
            field_error(
                "holiday_country",
                "Public holidays are not available for this country; choose one from the list.",
                "unsupported",
            )
        )
        return country_code, sub
    if not sub:
        return country_code, ""
    subdivisions = places.holiday_subdivisions(country_code)
    prefix, dash, rest = sub.partition("-")
    if dash and prefix.upper() != country_code and places.holiday_country_name(prefix.upper()):
        errors.append(
            field_error(
                "holiday_subdivision",
                f"That region is in {places.holiday_country_name(prefix.upper())}, not in "
                f"{name}; choose one of {name}'s regions or none.",
                "other_country",
            )
        )
        return country_code, sub
    by_upper = {s.upper(): s for s in subdivisions}
    canonical = by_upper.get(sub.upper()) or (
        by_upper.get(rest.upper()) if dash and prefix.upper() == country_code else None
    )
    if canonical is None:
        errors.append(
            field_error(
                "holiday_subdivision",
                f"{name} has no region {sub!r}; choose one from the list or none."
                if subdivisions
                else f"{name}'s public holidays have no regions; leave the region empty.",
                "unsupported",
            )
        )
    elif len(canonical) > SUBDIVISION_MAX:
        errors.append(
            field_error(
                "holiday_subdivision",
                "This subdivision is not supported yet.",
                "unsupported",
            )
        )
    else:
        sub = canonical
    return country_code, sub


def _clean_weekdays(weekdays: Iterable[int], errors: list[dict[str, Any]]) -> list[int]:
    days = list(weekdays)
    if not days:
        errors.append(
            field_error("working_weekdays", "Choose at least one working weekday.", "empty")
        )
        return []
    if any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        errors.append(
            field_error(
                "working_weekdays", "Weekdays are numbers from 0 (Monday) to 6 (Sunday).", "invalid"
            )
        )
        return []
    return sorted(set(days))


@transaction.atomic
def calendar_update(
    *,
    user: User,
    time_zone: str,
    working_weekdays: Iterable[int],
    work_start: time,
    work_end: time,
    holiday_country: str | None,
    holiday_subdivision: str | None,
) -> WorkingCalendar:
    """Replace the working calendar's settings (time off is managed separately).

    Changing the calendar does not move deadlines already set: timers keep the instant
    they were armed with.
    """
    errors: list[dict[str, Any]] = []
    zone_name = time_zone.strip()
    if not places.is_time_zone(zone_name):
        errors.append(
            field_error(
                "time_zone",
                "Choose a time zone from the list: a city such as Europe/Lisbon, or UTC.",
                "unknown_time_zone",
            )
        )
    days = _clean_weekdays(working_weekdays, errors)
    if work_start.tzinfo is not None or work_end.tzinfo is not None:
        errors.append(field_error("work_start", "Give local times without an offset.", "invalid"))
    elif work_end <= work_start:
        errors.append(
            field_error("work_end", "Working hours must end after they start.", "before_start")
        )
    country, sub = _clean_holiday_region(holiday_country, holiday_subdivision, errors)
    if errors:
        raise InvalidInput(errors=errors)

    calendar, _ = WorkingCalendar.objects.select_for_update().get_or_create(user=user)
    calendar.time_zone = zone_name
    calendar.working_weekdays = days
    calendar.work_start = work_start.replace(second=0, microsecond=0)
    calendar.work_end = work_end.replace(second=0, microsecond=0)
    calendar.holiday_country = country
    calendar.holiday_subdivision = sub
    calendar.save()
    return calendar


# --- Time off ---------------------------------------------------------------------------


@transaction.atomic
def time_off_add(
    *,
    user: User,
    start_date: date,
    end_date: date,
    away: bool = True,
    note: str = "",
    today: date | None = None,
) -> TimeOff:
    """Declare an absence (inclusive dates in the user's own zone).

    ``today`` (the user's local date) lets the caller refuse ranges that are already over;
    None skips that check (imports, tests building history). A range sharing a day with
    one already declared is refused, naming that one: two rows for one day would be
    removed one at a time and leave the day half-declared. Ranges that only follow each
    other (5 August, then 6 August) are fine.
    """
    errors: list[dict[str, Any]] = []
    clean_note = _clean_text("note", note, NOTE, errors)
    if end_date < start_date:
        errors.append(field_error("end_date", "The last day is before the first.", "before_start"))
    elif (end_date - start_date).days + 1 > TIME_OFF_MAX_DAYS:
        errors.append(
            field_error(
                "end_date", f"Time off may last {TIME_OFF_MAX_DAYS} days at most.", "too_long"
            )
        )
    elif today is not None and end_date < today:
        errors.append(field_error("end_date", "This time off is already over.", "in_past"))
    if errors:
        raise InvalidInput(errors=errors)
    # Lock the user row so two concurrent adds cannot both pass the count or overlap check.
    User.objects.select_for_update().filter(pk=user.pk).first()
    clash = (
        TimeOff.objects.filter(user=user, start_date__lte=end_date, end_date__gte=start_date)
        .order_by("start_date", "pk")
        .first()
    )
    if clash is not None:
        raise ConflictingInput(
            errors=[
                field_error(
                    "start_date",
                    f"This overlaps your time off {_day_range(clash.start_date, clash.end_date)}"
                    "; remove that one first or choose other days.",
                    "overlaps",
                )
            ]
        )
    if TimeOff.objects.filter(user=user).count() >= TIME_OFF_MAX_RANGES:
        raise ConflictingInput(
            errors=[
                field_error(
                    "start_date",
                    f"Remove old time off first: at most {TIME_OFF_MAX_RANGES} ranges.",
                    "too_many",
                )
            ]
        )
    return TimeOff.objects.create(
        user=user, start_date=start_date, end_date=end_date, away=away, note=clean_note
    )


def _day_range(start: date, end: date) -> str:
    def day(d: date) -> str:
        return f"{DAY_ABBR[d.weekday()]} {d.day} {MONTH_ABBR[d.month - 1]} {d.year}"

    return day(start) if start == end else f"{day(start)} to {day(end)}"


@transaction.atomic
def time_off_remove(*, user: User, time_off_id: int) -> None:
    """Delete one of the user's own ranges; anyone else's id is simply not found."""
    deleted, _ = TimeOff.objects.filter(user=user, pk=time_off_id).delete()
    if not deleted:
        raise NotFound("No such time off.")


def away_until(*, user: User, today: date) -> date | None:
    """The last day of the away range covering ``today`` (merged with ranges that overlap
    or touch it); None when the user is not away today. Reads ``user.time_off.all()``, so a
    caller that prefetched ``time_off`` pays no query.
    """
    ranges = [(t.start_date, t.end_date) for t in user.time_off.all() if t.away]
    return merged_range_end(ranges, today)


def user_local_today(*, user: User, now: datetime) -> date:
    """The user's own calendar date at ``now`` (UTC when they have no calendar)."""
    try:
        zone = user.calendar.time_zone
    except WorkingCalendar.DoesNotExist:
        zone = "UTC"
    return now.astimezone(zoneinfo.ZoneInfo(zone)).date()
