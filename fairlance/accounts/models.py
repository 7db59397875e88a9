"""Users, their public profile, their working calendar and their API tokens.

One account can act as a client, a freelancer or both: there is no role field, a user
becomes a freelancer by creating a project. Operators are users with ``is_operator``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, time
from typing import TYPE_CHECKING, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from fairlance.core.workdays import WorkdaySpec


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_operator", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person with an account. Email is the login; there is no username."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)

    display_name = models.CharField(max_length=80, blank=True)
    headline = models.CharField(max_length=140, blank=True)
    bio = models.TextField(blank=True, max_length=5000)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code")
    # Operators run the marketplace: moderation, disputes, policies.
    is_operator = models.BooleanField(default=False)
    # A suspended user's projects are hidden and cannot be bought; running contracts finish.
    is_suspended = models.BooleanField(default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta(AbstractUser.Meta):
        indexes = [
            # The few people who may not sell: search excludes their projects at query
            # time with one look-up of this small index (catalog.search.query).
            models.Index(
                fields=["id"],
                condition=models.Q(is_active=False) | models.Q(is_suspended=True),
                name="accounts_user_cannot_sell",
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        return public_name(self.display_name, self.email)

    def remember_calendar(self, calendar: WorkingCalendar | None) -> None:
        """Attach the working calendar a hand-written read loaded with this user.

        As ``select_related`` would: a missing calendar is remembered too, so reading
        ``user.calendar`` afterwards costs no query (it raises ``DoesNotExist``).
        """
        if calendar is None:
            User.calendar.related.set_cached_value(self, None)  # type: ignore[attr-defined]
        else:
            self.calendar = calendar


def public_name(display_name: str, email: str) -> str:
    """The name shown to others: the display name, else the e-mail's local part."""
    return display_name or email.split("@", 1)[0]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


def default_working_weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class WorkingCalendar(models.Model):
    """When a person works: the clocks that wait on a freelancer count these days.

    The pure arithmetic lives in ``fairlance.core.workdays``; ``as_spec()`` hands it a
    plain value so it never touches the database.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="calendar")
    time_zone = models.CharField(max_length=64, default="UTC")
    # Weekday numbers, Monday = 0, as a JSON list so both databases store it the same way.
    working_weekdays = models.JSONField(default=default_working_weekdays)
    work_start = models.TimeField(default=time(9, 0))
    work_end = models.TimeField(default=time(17, 0))
    # Public holidays are opt-in: empty means none are skipped.
    holiday_country = models.CharField(max_length=2, blank=True)
    holiday_subdivision = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"calendar of {self.user}"

    def as_spec(self, *, time_off: tuple[tuple[date, date], ...] | None = None) -> WorkdaySpec:
        """The calendar as a plain value. ``time_off`` (inclusive date ranges), when the
        caller knows it, saves reading the user's time off (``user.time_off.all()``)."""
        from fairlance.core.workdays import WorkdaySpec

        if time_off is None:
            time_off = tuple((t.start_date, t.end_date) for t in self.user.time_off.all())
        return WorkdaySpec(
            time_zone=self.time_zone,
            working_weekdays=frozenset(int(d) for d in self.working_weekdays),
            work_start=self.work_start,
            work_end=self.work_end,
            holiday_country=self.holiday_country or None,
            holiday_subdivision=self.holiday_subdivision or None,
            time_off=time_off,
        )


class TimeOff(models.Model):
    """A declared absence, inclusive of both dates in the person's own time zone.

    Time off is skipped by working-day clocks. While ``away`` is set the range is also
    *away mode*: none of the freelancer's projects can be bought and their pages say
    when the freelancer is back.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="time_off")
    start_date = models.DateField()
    end_date = models.DateField()
    away = models.BooleanField(default=True, help_text="Pause purchases of all projects")
    note = models.CharField(max_length=140, blank=True)

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="time_off_ordered"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} off {self.start_date}..{self.end_date}"

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only a SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.pk} of {self.user}"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_raw() -> str:
        return "flt_" + secrets.token_urlsafe(32)
