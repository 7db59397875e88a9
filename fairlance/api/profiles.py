"""A freelancer's trust, in public: the success score, feedback received, work history.

SPEC section 6, issue 13 items 3, 4 and 6. Thin: who the freelancer is comes from
``accounts.selectors.access_public_profile`` (an unknown id, a client's, an operator's or a
suspended freelancer's is the same 404), the numbers from the stored ``FreelancerScore``
(never recomputed on a request) and the lists from ``reviews.selectors``. The score's full
breakdown — every counted contract with its contribution, every excluded one with its
reason, and one line for the private ratings counted together (``score.Private``, never per
contract) — goes to the freelancer themself only; private feedback goes to no one.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from fairlance.accounts.selectors import access_public_profile
from fairlance.api.auth import optional_user
from fairlance.api.paging import keyset_page
from fairlance.api.reviews import public_feedback_json
from fairlance.contracts.models import Contract
from fairlance.core.money import MINOR_PER_MAJOR, currency, format_minor
from fairlance.reviews import score as formula
from fairlance.reviews.badges import badges_for
from fairlance.reviews.models import Feedback, FreelancerScore, ScorePoint, Side
from fairlance.reviews.selectors import feedback_received, stored_score, work_history

router = Router(tags=["profiles"])

#: Items per page of the feedback and work-history lists, unless ``limit`` says otherwise.
PAGE_SIZE = 20
MAX_PAGE_SIZE = 50

# A cursor marks the last item seen: its instant in microseconds since the epoch and its id.
CURSOR_PATTERN = r"^[0-9]{1,20}\.[0-9]{1,19}$"


class PageQuery(Schema):
    cursor: str | None = Field(
        None,
        pattern=CURSOR_PATTERN,
        max_length=40,
        description="`next_cursor` of the previous page (opaque)",
    )
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


# --- the stored numbers, as every viewer sees them -------------------------------------------


def rating_json(stored: FreelancerScore | None) -> dict[str, Any]:
    """The average public rating clients gave (shown feedback only), in hundredths."""
    x100 = stored.rating_x100 if stored is not None else 0
    count = stored.rating_count if stored is not None else 0
    return {
        "x100": x100 if count else None,
        "count": count,
        "display": f"{x100 / 100:.1f} ({count})" if count else "No ratings yet",
    }


def trust_summary_json(stored: FreelancerScore | None) -> dict[str, Any]:
    """What anyone may read of a freelancer's stored trust numbers: the score (null while
    fewer than ``MIN_CLIENTS`` clients count), the rating, the badges and the counts."""
    return {
        "score": stored.score if stored is not None else None,
        "rating": rating_json(stored),
        "badges": [{"slug": b.slug, "label": b.label, "why": b.why} for b in badges_for(stored)],
        "clients_count": stored.clients if stored is not None else 0,
        "jobs_count": stored.jobs if stored is not None else 0,
    }


def _history(user_id: int, today: Any) -> list[dict[str, Any]]:
    """One point per day the score was computed in the last 12 months, while it was shown."""
    points = ScorePoint.objects.filter(
        user_id=user_id, day__gt=today - formula.WINDOW, score__isnull=False
    ).order_by("day")
    return [{"date": p.day.isoformat(), "score": p.score} for p in points]


@router.get(
    "/freelancers/{freelancer_id}/score",
    response=dict,
    auth=None,
    summary="A freelancer's success score; the breakdown only to the freelancer themself",
)
def freelancer_score(request: HttpRequest, freelancer_id: int) -> dict[str, Any]:
    viewer = optional_user(request)
    user = access_public_profile(viewer=viewer, user_id=freelancer_id)
    stored = stored_score(user_id=user.pk)
    out = {
        "freelancer_id": user.pk,
        **trust_summary_json(stored),
        "min_clients": formula.MIN_CLIENTS,
        "counted_contracts": stored.counted if stored is not None else 0,
        "computed_at": (
            stored.computed_at.isoformat() if stored is not None and stored.computed_at else None
        ),
        "history": _history(user.pk, timezone.now().date()),
    }
    if viewer.is_authenticated and viewer.pk == user.pk:
        # The owner's page: every contract of the window, counted or excluded, and why.
        # Null until the score was first computed (no contract of theirs has ended).
        out["breakdown"] = stored.breakdown if stored is not None and stored.breakdown else None
    return out


# --- paging by (instant, id), newest first ---------------------------------------------------


def _page(qs: QuerySet[Any], query: PageQuery, field: str) -> tuple[list[Any], str | None]:
    return keyset_page(qs, field, query.cursor, query.limit, newest_first=True)


def _title(contract: Contract) -> str:
    return contract.title or f"Contract {contract.pk}"


# --- feedback received -----------------------------------------------------------------------


@router.get(
    "/freelancers/{freelancer_id}/feedback",
    response=dict,
    auth=None,
    summary="Published feedback clients left about the freelancer, with replies, newest first",
)
def freelancer_feedback(
    request: HttpRequest, freelancer_id: int, query: Query[PageQuery]
) -> dict[str, Any]:
    user = access_public_profile(viewer=optional_user(request), user_id=freelancer_id)
    page, next_cursor = _page(
        feedback_received(user_id=user.pk, by=Side.CLIENT.value), query, "published_at"
    )
    return {
        "results": [{**public_feedback_json(f), "project_title": _title(f.contract)} for f in page],
        "next_cursor": next_cursor,
    }


# --- work history ----------------------------------------------------------------------------

# Work history tells how big a job was, not what the client paid: an exact amount would
# publish a private custom offer's price (and a client's spending) to anyone. Bands in major
# units of the deployment's currency; the last has no upper end.
AMOUNT_BANDS: tuple[int, ...] = (50, 250, 1_000, 5_000)


def amount_band(minor: int) -> dict[str, Any]:
    """The band ``minor`` falls in: ``{min_minor, max_minor, display}``; ``max_minor`` is
    exclusive and null for the top band."""
    edges = [0, *(b * MINOR_PER_MAJOR for b in AMOUNT_BANDS)]
    low = max(e for e in edges if e <= minor)
    higher = [e for e in edges if e > minor]
    high = higher[0] if higher else None
    if low == 0 and high is not None:
        display = f"Under {format_minor(high)}"
    elif high is None:
        display = f"{format_minor(low)} or more"
    else:
        display = f"{format_minor(low)} to {format_minor(high)}"
    return {"min_minor": low, "max_minor": high, "display": display, "currency": currency()}


@router.get(
    "/freelancers/{freelancer_id}/work-history",
    response=dict,
    auth=None,
    summary="The freelancer's contracts where money was paid, newest first, with feedback",
)
def freelancer_work_history(
    request: HttpRequest, freelancer_id: int, query: Query[PageQuery]
) -> dict[str, Any]:
    user = access_public_profile(viewer=optional_user(request), user_id=freelancer_id)
    page, next_cursor = _page(work_history(freelancer_id=user.pk), query, "ended_at")
    ids = [c.pk for c in page]
    # Shown feedback from the client (about the freelancer), and the freelancer's published
    # feedback about the client unless an operator hid it (removal only applies to
    # feedback about a freelancer): one query for the page.
    words = (
        Feedback.objects.filter(contract_id__in=ids)
        .filter(
            Q(author_role=Side.CLIENT, removed_at__isnull=True) | Q(author_role=Side.FREELANCER),
            published_at__isnull=False,
            hidden_at__isnull=True,
        )
        .select_related("author")
    )
    by_contract: dict[tuple[int, str], Feedback] = {
        (f.contract_id, f.author_role): f for f in words
    }

    def said(contract_id: int, role: str) -> dict[str, Any] | None:
        f = by_contract.get((contract_id, role))
        return public_feedback_json(f) if f is not None else None

    return {
        "results": [
            {
                "contract_id": c.pk,
                "project_title": _title(c),
                "ended_month": c.ended_at.strftime("%Y-%m") if c.ended_at else None,
                "outcome": c.outcome,
                "amount_band": amount_band(c.paid_out_minor),
                "client_feedback": said(c.pk, Side.CLIENT.value),
                "freelancer_feedback": said(c.pk, Side.FREELANCER.value),
            }
            for c in page
        ],
        "next_cursor": next_cursor,
    }
