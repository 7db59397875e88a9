"""What the trust pages show: feedback in the contract room, public profiles, the own score
page with its history chart, and the client card's ratings.

The rules live in ``reviews`` (who may write, what is published, the removal quota, what
counts in the score); these functions only put them into words for one viewer. Private
feedback (the private rating and text) is for the platform: nothing here ever reads it,
so no page can show it, not even to its author.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fairlance.contracts import process
from fairlance.contracts.models import Contract
from fairlance.core.money import format_minor
from fairlance.reviews import selectors as reviews
from fairlance.reviews.badges import Badge, badges_for
from fairlance.reviews.models import Feedback, FreelancerScore, ScorePoint, Side
from fairlance.reviews.score import CONTRACT_PARTS, MIN_CLIENTS, MIN_PRIVATE_CLIENTS
from fairlance.reviews.services import RemovalQuota, removal_quota

# --- dates in words -------------------------------------------------------------------------


def _zone(tz_name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tz_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def long_date(at: datetime, tz_name: str) -> str:
    """``1 February 2027``: the calendar day of ``at`` in ``tz_name``."""
    local = at.astimezone(_zone(tz_name))
    return f"{local.day} {local:%B %Y}"


def long_date_time(at: datetime, tz_name: str) -> str:
    """``19 December 2026 at 10:00``, in ``tz_name``."""
    local = at.astimezone(_zone(tz_name))
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def member_name(user: Any) -> str:
    """The name other people see on public pages: the display name, else ``Member 12``
    (``public_name`` would fall back to the e-mail's local part, which is private)."""
    return str(user.display_name or f"Member {user.pk}")


# --- the removal quota ----------------------------------------------------------------------


def quota_words(quota: RemovalQuota) -> str:
    """ "1 removal left this month", or when the next one frees up (in the freelancer's zone)."""
    if quota.limit == 0:
        return "Removing feedback is switched off on this marketplace."
    if quota.left:
        return f"{quota.left} removal{'' if quota.left == 1 else 's'} left this month"
    return (
        f"No removals left this month: the next removal frees up on "
        f"{long_date(quota.resets_at, quota.time_zone)}"
    )


# --- the contract room's feedback panel -------------------------------------------------------


@dataclass(frozen=True)
class FeedbackPanel:
    """The room's feedback section for one viewer of an ended contract."""

    role: str  # "client" | "freelancer" | "operator"
    other_name: str
    counts: bool
    # Why an ending takes no feedback (the lifecycle table's ``not_counted`` words).
    not_counted: str = ""
    closes_words: str = ""
    closes_iso: str = ""
    window_open: bool = False
    can_write: bool = False
    mine: Feedback | None = None
    # The viewer's feedback waits for the other side (double-blind): the words to say so.
    sealed: str = ""
    # The other side wrote and it is sealed until the viewer writes or the window closes.
    theirs_waiting: str = ""
    # The other side's published feedback, while shown.
    theirs: Feedback | None = None
    # The other side's published feedback no longer shown, in words.
    theirs_gone: str = ""
    can_reply: bool = False
    can_remove: bool = False
    can_report: bool = False
    quota: str = ""
    # Operators: both sides' published feedback (public parts).
    both: tuple[Feedback, ...] = ()

    @property
    def choices(self) -> tuple[tuple[str, str], ...]:
        return STAR_CHOICES

    @property
    def closed_without_any(self) -> bool:
        return (
            self.counts
            and not self.window_open
            and self.mine is None
            and self.theirs is None
            and not self.theirs_gone
            and not self.both
        )


# The star choices of the feedback form, best first.
STAR_CHOICES = (
    ("5", "Excellent"),
    ("4", "Good"),
    ("3", "Fair"),
    ("2", "Poor"),
    ("1", "Bad"),
)


def _not_counted_words(contract: Contract) -> str:
    t = process.ending_transition(contract.ending or "")
    why = t.not_counted if t is not None and t.not_counted else ""
    if why:
        return f"No feedback on this contract: {why}, so it counts for no one."
    return "No feedback on this contract: it ended without money paid or anyone at fault."


def feedback_panel(
    *, contract: Contract, viewer: Any, role: str, tz_name: str, policy: Any, now: datetime
) -> FeedbackPanel | None:
    """The feedback section of an ended contract's room (None while it runs).

    Reads the contract's feedback once (``reviews.selectors.contract_feedback``, which
    hides the other side's words until publication) and, for a freelancer who may remove
    the client's feedback, their removal quota.
    """
    if contract.ended_at is None:
        return None
    other = contract.client if role == Side.FREELANCER else contract.freelancer
    other_name = other.public_name
    if not contract.counts_for_trust:
        return FeedbackPanel(
            role=role,
            other_name=other_name,
            counts=False,
            not_counted=_not_counted_words(contract),
        )
    view = reviews.contract_feedback(viewer=viewer, contract=contract, policy=policy, now=now)
    closes = view.closes_at
    closes_words = long_date_time(closes, tz_name) if closes is not None else ""
    if role == "operator":
        return FeedbackPanel(
            role=role,
            other_name=other_name,
            counts=True,
            closes_words=closes_words,
            closes_iso=closes.isoformat() if closes else "",
            window_open=view.window_open,
            both=tuple(f for f in view.both if f.published_at is not None),
        )
    mine = view.mine
    sealed = ""
    if mine is not None and mine.published_at is None:
        sealed = (
            f"Your feedback is sealed until {other_name} writes theirs or the window closes "
            f"on {closes_words} ({tz_name})."
        )
    waiting = ""
    if view.theirs_written and view.theirs is None and mine is None and view.window_open:
        waiting = (
            f"{other_name} has left feedback. You will read it once you leave yours, or when "
            f"the window closes on {closes_words} ({tz_name})."
        )
    theirs = view.theirs
    gone = ""
    if theirs is not None and not theirs.shown:
        if theirs.hidden_at is not None:
            gone = f"An operator hid {other_name}'s feedback: it broke the rules."
        elif role == Side.FREELANCER:
            gone = f"You removed {other_name}'s feedback from your profile and score."
        else:
            gone = f"{other_name} removed your feedback from their profile and score."
    quota = ""
    if view.can_remove:
        quota = quota_words(removal_quota(user_id=viewer.pk, now=now))
    shown = theirs if theirs is not None and theirs.shown else None
    return FeedbackPanel(
        role=role,
        other_name=other_name,
        counts=True,
        closes_words=closes_words,
        closes_iso=closes.isoformat() if closes else "",
        window_open=view.window_open,
        can_write=view.can_write,
        mine=mine,
        sealed=sealed,
        theirs_waiting=waiting,
        theirs=shown,
        theirs_gone=gone,
        can_reply=view.can_reply,
        can_remove=view.can_remove,
        can_report=shown is not None,
        quota=quota,
    )


# --- public profiles ---------------------------------------------------------------------------

EN_DASH = "\u2013"  # between the ends of a range: Mon to Fri, 09:00 to 17:00
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def working_days_words(weekdays: Any) -> str:
    """``Mon to Fri`` (with an en dash), ``Mon, Wed, Fri``, ``Every day``; runs of three or more are ranges."""
    days = sorted({int(d) for d in weekdays or [] if 0 <= int(d) <= 6})
    if not days:
        return "No working days set"
    if len(days) == 7:
        return "Every day"
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{WEEKDAYS[run[0]]}{EN_DASH}{WEEKDAYS[run[-1]]}")
        else:
            parts.extend(WEEKDAYS[d] for d in run)
    return ", ".join(parts)


@dataclass(frozen=True)
class ScoreSummary:
    """A stored score as profiles show it."""

    score: int | None
    clients: int
    rating_x100: int
    rating_count: int
    jobs: int
    badges: tuple[Badge, ...]

    @property
    def hidden_words(self) -> str:
        return f"New — fewer than {MIN_CLIENTS} clients"


def score_summary(stored: FreelancerScore | None) -> ScoreSummary:
    if stored is None:
        return ScoreSummary(None, 0, 0, 0, 0, ())
    return ScoreSummary(
        score=stored.score,
        clients=stored.clients,
        rating_x100=stored.rating_x100,
        rating_count=stored.rating_count,
        jobs=stored.jobs,
        badges=tuple(badges_for(stored)),
    )


@dataclass(frozen=True)
class HistoryItem:
    """One contract of a work history: what was done, when it ended, what the client said."""

    contract_id: int
    title: str
    ended: str
    ended_iso: str
    feedback: Feedback | None


# How many contracts a profile lists (the newest).
WORK_HISTORY_LIMIT = 50


def work_history(*, freelancer_id: int, tz_name: str) -> list[HistoryItem]:
    """The freelancer's paid contracts, newest first, each with the client's shown feedback
    and its reply (two queries)."""
    contracts = list(reviews.work_history(freelancer_id=freelancer_id)[:WORK_HISTORY_LIMIT])
    by_contract = {
        f.contract_id: f
        for f in reviews.feedback_received(user_id=freelancer_id, by=Side.CLIENT.value).filter(
            contract_id__in=[c.pk for c in contracts]
        )
    }
    return [
        HistoryItem(
            contract_id=c.pk,
            title=c.title or f"Contract {c.pk}",
            ended=f"{c.ended_at.astimezone(_zone(tz_name)):%B %Y}" if c.ended_at else "",
            ended_iso=c.ended_at.isoformat() if c.ended_at else "",
            feedback=by_contract.get(c.pk),
        )
        for c in contracts
    ]


# --- the own score page ------------------------------------------------------------------------


@dataclass(frozen=True)
class CountedRow:
    contract_id: int
    title: str
    ended: str
    weight: str
    outcome: str
    on_time: str
    rating: str
    contribution: str
    note: str


@dataclass(frozen=True)
class ExcludedRow:
    contract_id: int
    title: str
    ended: str
    reason: str


def _ended(raw: Any, tz_name: str) -> str:
    try:
        return long_date(datetime.fromisoformat(str(raw)), tz_name)
    except ValueError:
        return ""


def _full(raw: Any) -> str:
    """A part from 0 to 1 (``"1.00"``) in words."""
    try:
        return "yes" if float(raw) >= 1 else "no"
    except (TypeError, ValueError):
        return "—"


def breakdown_rows(
    breakdown: dict[str, Any], *, tz_name: str
) -> tuple[list[CountedRow], list[ExcludedRow]]:
    """The stored breakdown (``score.Breakdown.as_json``) as table rows for its owner."""
    counted = [
        CountedRow(
            contract_id=int(c.get("contract_id", 0)),
            title=str(c.get("title", "")),
            ended=_ended(c.get("ended_at"), tz_name),
            weight=format_minor(int(c.get("weight_minor") or 0)),
            outcome="completed, no fault of yours"
            if _full(c.get("outcome")) == "yes"
            else "your fault",
            on_time="on time" if _full(c.get("on_time")) == "yes" else "late",
            rating=f"{c['public_rating']} ★" if c.get("public_rating") else "no rating",
            contribution=str(c.get("contribution") or "0.00"),
            note=str(c.get("note") or ""),
        )
        for c in breakdown.get("counted", [])
    ]
    excluded = [
        ExcludedRow(
            contract_id=int(e.get("contract_id", 0)),
            title=str(e.get("title", "")),
            ended=_ended(e.get("ended_at"), tz_name),
            reason=str(e.get("reason", "")),
        )
        for e in breakdown.get("excluded", [])
    ]
    return counted, excluded


def private_words(breakdown: dict[str, Any]) -> str:
    """The pooled private ratings' line of the stored breakdown, in words: never which
    contracts had one nor what any one was ("" for a breakdown stored before pooling)."""
    private = breakdown.get("private")
    if not isinstance(private, dict):
        return ""
    least = int(private.get("min_clients") or MIN_PRIVATE_CLIENTS)
    if not private.get("used"):
        return (
            f"Private feedback from clients: left out until {least} clients have rated privately."
        )
    ratings = int(private.get("ratings") or 0)
    points = str(private.get("contribution") or "0.00")
    return (
        "Private feedback from clients: counted together over "
        f"{ratings} rating{'' if ratings == 1 else 's'}, adds {points} points."
    )


PART_WORDS = {
    "outcome": "the outcome (only an ending that was your fault costs it)",
    "on_time": "delivery on time",
    "public_rating": "the client's public rating",
}


def parts_words() -> list[tuple[str, int]]:
    """The parts of one contract's quality and their weights, in words (the private
    ratings are not one of them: they are pooled, ``private_words``)."""
    return [(PART_WORDS.get(name, name), weight) for name, weight in CONTRACT_PARTS]


def score_points(*, user_id: int, limit: int = 366) -> list[tuple[date, int | None]]:
    """The stored daily points of the score, oldest first (the last ``limit`` days kept)."""
    rows = list(
        ScorePoint.objects.filter(user_id=user_id)
        .order_by("-day")
        .values_list("day", "score")[:limit]
    )
    return list(reversed(rows))


# --- the history chart (server-rendered SVG) ----------------------------------------------------

CHART_W, CHART_H = 480, 200
PAD_L, PAD_R, PAD_T, PAD_B = 40, 14, 14, 30


def score_chart_svg(points: list[tuple[date, int | None]]) -> str:
    """The score over time as an inline SVG (no script, no library): a line through the
    daily points, a gap where the score was not shown (fewer than 2 clients), a dot per
    point with its value as a tooltip. Only numbers and dates go into the markup.
    """
    x0, x1 = PAD_L, CHART_W - PAD_R
    y0, y1 = PAD_T, CHART_H - PAD_B

    def y(score: int) -> float:
        return round(y1 - (y1 - y0) * score / 100, 1)

    first = points[0][0] if points else None
    last = points[-1][0] if points else None
    span = (last - first).days if first and last else 0

    def x(day: date) -> float:
        if not span or first is None:
            return round((x0 + x1) / 2, 1)
        return round(x0 + (x1 - x0) * (day - first).days / span, 1)

    shown = [(d, s) for d, s in points if s is not None]
    out = [
        f'<svg class="score-chart" viewBox="0 0 {CHART_W} {CHART_H}" role="img" '
        'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-title">Your success score over time</title>',
    ]
    if shown:
        desc = (
            f"{len(shown)} point{'' if len(shown) == 1 else 's'}, from {shown[0][1]} on "
            f"{shown[0][0]:%-d %B %Y} to {shown[-1][1]} on {shown[-1][0]:%-d %B %Y}."
        )
    else:
        desc = "No score to show yet."
    out.append(f'<desc id="chart-desc">{desc}</desc>')
    for level in (0, 50, 100):
        out.append(
            f'<line class="grid" x1="{x0}" x2="{x1}" y1="{y(level)}" y2="{y(level)}"/>'
            f'<text class="axis" x="{x0 - 8}" y="{y(level) + 4}" text-anchor="end">{level}</text>'
        )
    if first is not None and last is not None:
        out.append(f'<text class="axis" x="{x0}" y="{CHART_H - 8}">{first:%-d %b %Y}</text>')
        if span:
            out.append(
                f'<text class="axis" x="{x1}" y="{CHART_H - 8}" text-anchor="end">'
                f"{last:%-d %b %Y}</text>"
            )
    # One polyline per run of shown points: a hidden score is a gap, not a drop to 0.
    run: list[str] = []
    for _day, score in [*points, (None, None)]:
        if score is None or _day is None:
            if len(run) > 1:
                out.append(f'<polyline class="line" points="{" ".join(run)}"/>')
            run = []
            continue
        run.append(f"{x(_day)},{y(score)}")
    for day, score in shown:
        out.append(
            f'<circle class="dot" cx="{x(day)}" cy="{y(score)}" r="3.5">'
            f"<title>{score} on {day:%-d %B %Y}</title></circle>"
        )
    if not shown:
        out.append(
            f'<text class="axis" x="{(x0 + x1) / 2}" y="{(y0 + y1) / 2}" text-anchor="middle">'
            "No score yet</text>"
        )
    out.append("</svg>")
    return "".join(out)


# --- the client card's ratings ------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackQuote:
    rating: int
    text: str
    when: str
    project_title: str


def _average_words(average: Any, count: int, template: str) -> str:
    if average is None or not count:
        return ""
    return template.format(avg=f"{float(average):.1f}", n=count)


def card_ratings(card: Any) -> tuple[str, str, tuple[FeedbackQuote, ...]]:
    """The client card's ratings in words: as given to freelancers, as received from them,
    and up to three recent public feedback quotes from freelancers.

    Read with ``getattr`` so the card renders whether or not ``ClientCard`` carries the
    ratings yet (they arrive with the feedback selectors).
    """
    given = _average_words(
        getattr(card, "average_rating_given", None),
        int(getattr(card, "ratings_given_count", 0) or 0),
        "Rates freelancers {avg} ★ on average ({n})",
    )
    received = _average_words(
        getattr(card, "average_rating_received", None),
        int(getattr(card, "ratings_received_count", 0) or 0),
        "Rated {avg} ★ by freelancers ({n})",
    )
    quotes = tuple(
        FeedbackQuote(
            rating=int(getattr(f, "rating", 0) or 0),
            text=str(getattr(f, "text", "") or ""),
            when=(
                f"{f.published_at:%B %Y}" if getattr(f, "published_at", None) is not None else ""
            ),
            project_title=str(getattr(f, "project_title", "") or ""),
        )
        for f in tuple(getattr(card, "recent_feedback", ()) or ())[:3]
    )
    return given, received, quotes
