"""Account endpoints: API tokens, the caller's profile and working calendar, public profiles."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field, StrictBool

from fairlance.accounts import places, selectors, services
from fairlance.accounts.models import (
    ApiToken,
    TimeOff,
    User,
    WorkingCalendar,
    default_working_weekdays,
)
from fairlance.accounts.throttle import client_address
from fairlance.api.auth import REQUIRED_AUTH, optional_user
from fairlance.api.errors import problems
from fairlance.api.openapi import WholeInt, not_nullable, one_of, text_field
from fairlance.api.profiles import trust_summary_json
from fairlance.core.errors import InvalidInput, NotFound, field_error
from fairlance.reviews.selectors import stored_score

router = Router(tags=["accounts"])


class TokenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str
    password: str
    name: Annotated[str, text_field(services.TOKEN_NAME)] = ""


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"


@router.post(
    "/auth/token", response={201: TokenOut}, auth=None, openapi_extra=problems(401, 403, 429)
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenOut]:
    _, raw = services.token_sign_in(
        email=payload.email[:254].lower(),
        password=payload.password[:1000],
        address=client_address(request),
        name=payload.name,
    )
    return Status(201, TokenOut(token=raw))


class TokenInfoOut(Schema):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None = Field(
        description="Refreshed at most once a minute; null if never used"
    )


class TokenListOut(Schema):
    results: list[TokenInfoOut]
    next_cursor: str | None


class TokenListQuery(Schema):
    cursor: str | None = Field(None, pattern="^[0-9]+$", max_length=20)


class TokenCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str,
        text_field(
            services.TOKEN_NAME_REQUIRED,
            description="A label to tell the token apart, e.g. what uses it",
            examples=["deploy script"],
        ),
    ]


class TokenCreatedOut(TokenInfoOut):
    token: str = Field(description="The secret, shown only in this response")
    token_type: str = "Bearer"


def _token_info(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
    }


#: Tokens listed per page.
TOKEN_PAGE_SIZE = 50


@router.get("/auth/tokens", response=TokenListOut, auth=REQUIRED_AUTH)
def list_tokens(request: HttpRequest, query: Query[TokenListQuery]) -> TokenListOut:
    tokens = selectors.tokens_of(user=_caller(request))
    if query.cursor:
        if not (query.cursor.isascii() and query.cursor.isdigit()):
            raise InvalidInput(
                errors=[field_error("cursor", "Malformed cursor.", "invalid_cursor")]
            )
        tokens = tokens.filter(pk__lt=min(int(query.cursor), selectors.MAX_ID))
    rows = list(tokens[: TOKEN_PAGE_SIZE + 1])
    page = rows[:TOKEN_PAGE_SIZE]
    return TokenListOut(
        results=[TokenInfoOut(**_token_info(t)) for t in page],
        next_cursor=str(page[-1].pk) if len(rows) > TOKEN_PAGE_SIZE else None,
    )


@router.post("/auth/tokens", response={201: TokenCreatedOut}, auth=REQUIRED_AUTH)
def create_named_token(request: HttpRequest, payload: TokenCreateIn) -> Status[TokenCreatedOut]:
    token, raw = services.token_create(user=_caller(request), name=payload.name)
    return Status(201, TokenCreatedOut(**_token_info(token), token=raw))


@router.delete("/auth/tokens/{token_id}", response={204: None}, auth=REQUIRED_AUTH)
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    if not 1 <= token_id <= selectors.MAX_ID:
        raise NotFound("No such token.")
    services.token_revoke(user=_caller(request), token_id=token_id)
    return Status(204, None)


def _caller(request: HttpRequest) -> User:
    # Both REQUIRED_AUTH backends return the signed-in User as ``request.auth``.
    user: User = request.auth  # type: ignore[attr-defined]
    return user


# --- Profile ----------------------------------------------------------------------------


class MeOut(Schema):
    id: int
    email: str
    display_name: str
    headline: str
    bio: str
    country: str
    is_operator: bool
    member_since: date
    time_zone: str


DisplayName = Annotated[str, text_field(services.DISPLAY_NAME)]
Headline = Annotated[str, text_field(services.HEADLINE)]
Bio = Annotated[str, text_field(services.BIO)]
Note = Annotated[str, text_field(services.NOTE)]
Country = Annotated[
    str,
    one_of(
        ["", *sorted(code for code, _ in places.country_choices())],
        description='ISO 3166-1 alpha-2 code; "" for none',
    ),
]


class MePatchIn(Schema):
    """Only the fields sent change; send "" to clear headline, bio or country. A field
    sent as null is refused: leave it out instead."""

    # Unknown fields (say "email") are refused rather than silently ignored.
    model_config = ConfigDict(extra="forbid", json_schema_extra=not_nullable)

    display_name: DisplayName | None = None
    headline: Headline | None = None
    bio: Bio | None = None
    country: Country | None = None


def _me_out(user: User) -> MeOut:
    calendar = selectors.calendar_of(user=user)
    return MeOut(
        id=user.pk,
        email=user.email,
        display_name=user.display_name,
        headline=user.headline,
        bio=user.bio,
        country=user.country,
        is_operator=user.is_operator,
        member_since=user.date_joined.date(),
        time_zone=calendar.time_zone,
    )


@router.get("/me", response=MeOut, auth=REQUIRED_AUTH)
def me_get(request: HttpRequest) -> MeOut:
    return _me_out(_caller(request))


@router.patch("/me", response=MeOut, auth=REQUIRED_AUTH)
def me_patch(request: HttpRequest, payload: MePatchIn) -> MeOut:
    sent = payload.model_fields_set
    nulls = [name for name in sorted(sent) if getattr(payload, name) is None]
    if nulls:
        raise InvalidInput(
            errors=[
                field_error(name, "May not be null; send an empty string to clear.", "null")
                for name in nulls
            ]
        )
    user = services.profile_update(
        user=_caller(request), **{name: getattr(payload, name) for name in sent}
    )
    return _me_out(user)


# --- Working calendar -------------------------------------------------------------------

HourMinute = Annotated[
    str,
    Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["09:00"], description="HH:MM, 24h"),
]


class TimeOffOut(Schema):
    id: int
    start_date: date
    end_date: date
    away: bool
    note: str


class CalendarOut(Schema):
    time_zone: str
    working_weekdays: list[int] = Field(description="0 = Monday ... 6 = Sunday")
    work_start: str
    work_end: str
    holiday_country: str | None
    holiday_subdivision: str | None
    time_off: list[TimeOffOut]
    away_until: date | None = Field(
        description="Last day of the current away period (purchases paused); null if not away"
    )
    today: date = Field(description="Today's date in the calendar's time zone")


TimeZone = Annotated[
    str,
    one_of(
        sorted(zone for _, group in places.time_zone_choices() for zone, _ in group),
        description="An IANA time zone from the list people may choose",
    ),
]
HolidayCountry = Annotated[
    str,
    one_of(
        ["", *sorted(code for code, _ in places.holiday_country_choices())],
        description='A country with a public-holiday calendar; "" or null for none',
    ),
]


class CalendarIn(Schema):
    """The whole working calendar. Besides each field's own rule, two rules join fields,
    answered 422 like the others: ``work_end`` must be later than ``work_start`` (code
    ``before_start``), and ``holiday_subdivision`` must be one of ``holiday_country``'s
    regions (bare, "11", or prefixed, "PT-11"), or empty; without a holiday country there
    is no region."""

    model_config = ConfigDict(extra="forbid")

    time_zone: TimeZone = Field(examples=["Europe/Lisbon"])
    working_weekdays: list[Annotated[WholeInt, Field(ge=0, le=6)]] = Field(
        min_length=1, max_length=7, examples=[[0, 1, 2, 3, 4]]
    )
    work_start: HourMinute
    work_end: HourMinute = Field(
        description="HH:MM, 24h; later than work_start", examples=["17:00"]
    )
    holiday_country: HolidayCountry | None = Field(default=None, examples=["PT"])
    holiday_subdivision: str | None = Field(default=None, max_length=40)


class TimeOffIn(Schema):
    """Inclusive dates in the caller's time zone. Rules joining fields, answered 422:
    ``end_date`` is not before ``start_date`` (``before_start``), the range lasts at most
    366 days (``too_long``), and it is not already over (``in_past``). A range sharing a
    day with one already declared, or a 101st range, is a 409 (``overlaps``,
    ``too_many``)."""

    model_config = ConfigDict(extra="forbid")

    start_date: date
    end_date: date
    away: StrictBool = True
    note: Note = ""


def _time_off_out(row: TimeOff) -> TimeOffOut:
    return TimeOffOut(
        id=row.pk, start_date=row.start_date, end_date=row.end_date, away=row.away, note=row.note
    )


def _calendar_out(user: User, calendar: WorkingCalendar) -> CalendarOut:
    today = services.user_local_today(user=user, now=timezone.now())
    rows = list(TimeOff.objects.filter(user=user).order_by("start_date", "pk"))
    return CalendarOut(
        time_zone=calendar.time_zone,
        working_weekdays=sorted(int(d) for d in calendar.working_weekdays),
        work_start=calendar.work_start.strftime("%H:%M"),
        work_end=calendar.work_end.strftime("%H:%M"),
        holiday_country=calendar.holiday_country or None,
        holiday_subdivision=calendar.holiday_subdivision or None,
        time_off=[_time_off_out(r) for r in rows],
        away_until=services.away_until(user=user, today=today),
        today=today,
    )


@router.get("/me/calendar", response=CalendarOut, auth=REQUIRED_AUTH)
def calendar_get(request: HttpRequest) -> CalendarOut:
    user = _caller(request)
    return _calendar_out(user, selectors.calendar_of(user=user))


@router.put("/me/calendar", response=CalendarOut, auth=REQUIRED_AUTH)
def calendar_put(request: HttpRequest, payload: CalendarIn) -> CalendarOut:
    user = _caller(request)
    calendar = services.calendar_update(
        user=user,
        time_zone=payload.time_zone,
        working_weekdays=payload.working_weekdays,
        work_start=time.fromisoformat(payload.work_start),
        work_end=time.fromisoformat(payload.work_end),
        holiday_country=payload.holiday_country,
        holiday_subdivision=payload.holiday_subdivision,
    )
    return _calendar_out(user, calendar)


@router.post(
    "/me/time-off", response={201: TimeOffOut}, auth=REQUIRED_AUTH, openapi_extra=problems(409)
)
def time_off_post(request: HttpRequest, payload: TimeOffIn) -> Status[TimeOffOut]:
    user = _caller(request)
    row = services.time_off_add(
        user=user,
        start_date=payload.start_date,
        end_date=payload.end_date,
        away=payload.away,
        note=payload.note,
        today=services.user_local_today(user=user, now=timezone.now()),
    )
    return Status(201, _time_off_out(row))


@router.delete("/me/time-off/{time_off_id}", response={204: None}, auth=REQUIRED_AUTH)
def time_off_delete(request: HttpRequest, time_off_id: int) -> Status[None]:
    if not 1 <= time_off_id <= selectors.MAX_ID:
        raise NotFound("No such time off.")
    services.time_off_remove(user=_caller(request), time_off_id=time_off_id)
    return Status(204, None)


# --- Public profiles --------------------------------------------------------------------


class RatingOut(Schema):
    x100: int | None = Field(description="Average public rating in hundredths; null if none")
    count: int
    display: str


class BadgeOut(Schema):
    slug: str
    label: str
    why: str


class PublicProfileOut(Schema):
    id: int
    display_name: str
    headline: str
    bio: str
    country: str
    member_since: date
    time_zone: str
    working_weekdays: list[int] = Field(description="0 = Monday ... 6 = Sunday")
    away_until: date | None = Field(
        description="While away, the last day away (purchases paused); else null"
    )
    # The stored trust numbers (reviews.FreelancerScore; docs/success-score.md).
    score: int | None = Field(
        description="Success score 0-100; null while fewer than 2 clients count"
    )
    rating: RatingOut
    badges: list[BadgeOut]
    clients_count: int = Field(description="Clients whose contracts count in the score")
    jobs_count: int = Field(description="Contracts where money was paid (the work history)")


@router.get("/freelancers/{freelancer_id}", response=PublicProfileOut, auth=None)
def freelancer_profile(request: HttpRequest, freelancer_id: int) -> PublicProfileOut:
    user = selectors.access_public_profile(viewer=optional_user(request), user_id=freelancer_id)
    calendar: Any = getattr(user, "calendar", None)
    zone = calendar.time_zone if calendar is not None else "UTC"
    weekdays = calendar.working_weekdays if calendar is not None else default_working_weekdays()
    today = services.user_local_today(user=user, now=timezone.now())
    trust = trust_summary_json(stored_score(user_id=user.pk))
    return PublicProfileOut(
        id=user.pk,
        # Not public_name: its fallback is the email's local part, which is private.
        display_name=user.display_name or f"Member {user.pk}",
        headline=user.headline,
        bio=user.bio,
        country=user.country,
        member_since=user.date_joined.date(),
        time_zone=zone,
        working_weekdays=sorted(int(d) for d in weekdays),
        away_until=services.away_until(user=user, today=today),
        **trust,
    )
