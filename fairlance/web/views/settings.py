"""Profile and working-calendar settings, with time off and away mode; API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from fairlance.accounts import services as accounts
from fairlance.accounts.models import User, WorkingCalendar
from fairlance.accounts.selectors import tokens_of
from fairlance.catalog.selectors import projects_of_owner
from fairlance.core.errors import FairlanceError, InvalidInput, NotFound
from fairlance.web.forms import CalendarForm, ProfileForm, TimeOffForm, TokenForm, attach_errors
from fairlance.web.presenters import format_day
from fairlance.web.views.common import current_user, parse_id


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                accounts.profile_update(user=user, **form.cleaned_data)
            except InvalidInput as exc:
                attach_errors(exc, form)
            else:
                messages.success(request, "Profile saved.")
                return redirect("web:settings_profile")
        return render(request, "web/settings_profile.html", {"form": form}, status=422)
    form = ProfileForm(
        initial={
            "display_name": user.display_name,
            "headline": user.headline,
            "bio": user.bio,
            "country": user.country,
        }
    )
    return render(request, "web/settings_profile.html", {"form": form})


def _calendar_of(user: User) -> WorkingCalendar:
    calendar, _ = WorkingCalendar.objects.get_or_create(user=user)
    return calendar


def _render_calendar(
    request: HttpRequest,
    user: User,
    *,
    form: CalendarForm | None = None,
    time_off_form: TimeOffForm | None = None,
    status: int = 200,
) -> HttpResponse:
    calendar = _calendar_of(user)
    if form is None:
        form = CalendarForm(
            initial={
                "time_zone": calendar.time_zone,
                "working_weekdays": list(calendar.working_weekdays),
                "work_start": calendar.work_start,
                "work_end": calendar.work_end,
                "holiday_country": calendar.holiday_country,
                # The region list names each region with its country ("PT-11").
                "holiday_subdivision": f"{calendar.holiday_country}-{calendar.holiday_subdivision}"
                if calendar.holiday_subdivision
                else "",
            }
        )
    today = accounts.user_local_today(user=user, now=timezone.now())
    away_last = accounts.away_until(user=user, today=today)
    time_off = [
        {
            "entry": t,
            "range": format_day(t.start_date)
            if t.start_date == t.end_date
            else f"{format_day(t.start_date)} – {format_day(t.end_date)} {t.end_date.year}",  # noqa: RUF001
            "days": (t.end_date - t.start_date).days + 1,
            "current": t.covers(today),
            "past": t.end_date < today,
        }
        for t in user.time_off.all()
    ]
    return render(
        request,
        "web/settings_calendar.html",
        {
            "form": form,
            "time_off_form": time_off_form or TimeOffForm(initial={"away": True}),
            "time_off": time_off,
            "away_last": format_day(away_last) if away_last else None,
            "calendar": calendar,
            # Time off and away mode pause a freelancer's projects and clocks; someone who
            # offers none sees why the controls are not there (the API still takes them).
            "sells": projects_of_owner(user=user).exists(),
        },
        status=status,
    )


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method != "POST":
        return _render_calendar(request, user)
    form = CalendarForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            accounts.calendar_update(
                user=user,
                time_zone=data["time_zone"],
                working_weekdays=data["working_weekdays"],
                work_start=data["work_start"],
                work_end=data["work_end"],
                holiday_country=data["holiday_country"] or None,
                holiday_subdivision=data["holiday_subdivision"] or None,
            )
        except InvalidInput as exc:
            attach_errors(exc, form)
        else:
            messages.success(request, "Working calendar saved.")
            return redirect("web:settings_calendar")
    return _render_calendar(request, user, form=form, status=422)


@login_required
@require_POST
def time_off_add(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = TimeOffForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            accounts.time_off_add(
                user=user,
                start_date=data["start_date"],
                end_date=data["end_date"],
                away=bool(data["away"]),
                note=data["note"] or "",
                today=accounts.user_local_today(user=user, now=timezone.now()),
            )
        except InvalidInput as exc:
            attach_errors(exc, form)
        else:
            messages.success(request, "Time off added.")
            return redirect("web:settings_calendar")
    return _render_calendar(request, user, time_off_form=form, status=422)


@login_required
@require_POST
def time_off_remove(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    time_off_id = parse_id(request.POST.get("time_off_id", ""))
    try:
        accounts.time_off_remove(user=user, time_off_id=time_off_id)
    except NotFound:
        raise Http404 from None
    except FairlanceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Time off removed.")
    return redirect("web:settings_calendar")


# --- API tokens -------------------------------------------------------------------------


def _render_tokens(
    request: HttpRequest,
    user: User,
    *,
    form: TokenForm | None = None,
    created: tuple[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    response = render(
        request,
        "web/settings_tokens.html",
        {"form": form or TokenForm(), "tokens": list(tokens_of(user=user)), "created": created},
        status=status,
    )
    if created is not None:
        # The page holds a secret that exists nowhere else: no cache may keep a copy.
        response["Cache-Control"] = "no-store"
    return response


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if request.method != "POST":
        return _render_tokens(request, user)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = accounts.token_create(user=user, name=form.cleaned_data["name"])
        except InvalidInput as exc:
            attach_errors(exc, form)
        else:
            # Shown in this response only, never redirected to: the secret is not stored,
            # and a message would carry it in a cookie.
            return _render_tokens(request, user, created=(token.name, raw), status=201)
    return _render_tokens(request, user, form=form, status=422)


@login_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    token_id = parse_id(request.POST.get("token_id", ""))
    try:
        accounts.token_revoke(user=user, token_id=token_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, "Token revoked: programs using it can no longer sign in with it.")
    return redirect("web:settings_tokens")
