"""The success score: one deterministic formula over a freelancer's last 12 months.

``docs/success-score.md`` is the formula in words with worked examples; this module is the
formula in code, a pure function of rows (``ContractRow``) so tests and the docs' examples
can run it without a database. ``services.score_refresh`` loads the rows and stores the
result (``FreelancerScore``); pages and the API read the stored result.

Which contracts count is the trust rule of SPEC section 6, read from what the contract's
ending recorded (``Contract.counts_for_trust``, from the lifecycle table's ``counts``
declarations) and nothing else: money was paid to the freelancer, or the freelancer was at
fault. Every other ending in the window is listed as excluded, with its reason.

Private ratings are for the platform only (SPEC section 6): a client must be able to rate
privately without fear of retaliation, and the breakdown goes to the freelancer. So a
contract's quality never reads its private rating; the private ratings of the window enter
as one pooled part, and only once they come from at least ``MIN_PRIVATE_CLIENTS`` different
clients, so that no single rating (nor a single client's) can be worked out of the
breakdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

# The window: contracts that ended in the last 365 days.
WINDOW = timedelta(days=365)
# The score is shown once counted contracts come from at least this many clients.
MIN_CLIENTS = 2
# The private ratings are pooled (a value-weighted average over the window) only once they
# come from at least this many different clients; with fewer they are left out entirely.
MIN_PRIVATE_CLIENTS = 3
# How much each part of the score weighs (they sum to 100). The first three are parts of
# each contract's quality (``CONTRACT_PARTS``): a part that is missing (no published rating,
# or it was removed or hidden) drops out and the others are scaled up to fill its place.
# ``private_rating`` is not a part of any one contract: it is the pooled private part,
# weighing 15 points of the score when it is used; when it is not, the contracts' quality
# fills the whole 100.
PARTS: tuple[tuple[str, int], ...] = (
    ("outcome", 40),
    ("on_time", 20),
    ("public_rating", 25),
    ("private_rating", 15),
)
PRIVATE_PART = "private_rating"
CONTRACT_PARTS: tuple[tuple[str, int], ...] = tuple(p for p in PARTS if p[0] != PRIVATE_PART)
PRIVATE_WEIGHT = dict(PARTS)[PRIVATE_PART]


@dataclass(frozen=True)
class ContractRow:
    """What the formula reads of one ended contract of the freelancer."""

    contract_id: int
    title: str
    client_id: int
    ended_at: datetime
    ending: str
    fault: str
    counts_for_trust: bool
    paid_out_minor: int
    price_minor: int
    late: bool
    # The client's feedback, when it is published and neither removed nor hidden.
    rating: int | None = None
    private_rating: int | None = None
    # Why a client's feedback is not used although it exists ("removed by you", ...).
    feedback_note: str = ""
    # Why the ending does not count, in words (the ending transition's ``not_counted``).
    not_counted: str = ""


@dataclass(frozen=True)
class Counted:
    row: ContractRow
    weight: int
    parts: dict[str, Fraction | None]
    quality: Fraction
    contribution: Fraction  # points of the score (the contributions sum to the score)


@dataclass(frozen=True)
class Private:
    """The pooled private part: how many private ratings the window holds, from how many
    clients, whether they are used, and the points they add (0 when they are not used).
    Which contracts had one is deliberately not recorded."""

    ratings: int
    clients: int
    used: bool
    contribution: Fraction


@dataclass(frozen=True)
class Excluded:
    row: ContractRow
    reason: str


@dataclass(frozen=True)
class Breakdown:
    score: int | None  # None while fewer than MIN_CLIENTS clients count
    exact: Fraction | None  # the score before rounding
    clients: int
    counted: tuple[Counted, ...]
    excluded: tuple[Excluded, ...]
    private: Private
    window_start: datetime
    computed_at: datetime

    @property
    def valid_until(self) -> datetime | None:
        """When the oldest listed contract leaves the window (the score changes then)."""
        listed = [c.row.ended_at for c in self.counted] + [e.row.ended_at for e in self.excluded]
        return min(listed) + WINDOW if listed else None

    def as_json(self) -> dict[str, Any]:
        """What is stored and shown to the freelancer (the owner only)."""

        def when(row: ContractRow) -> str:
            return row.ended_at.isoformat()

        return {
            "score": self.score,
            "exact": _decimal(self.exact) if self.exact is not None else None,
            "clients": self.clients,
            "min_clients": MIN_CLIENTS,
            "window_start": self.window_start.isoformat(),
            "computed_at": self.computed_at.isoformat(),
            "parts": dict(PARTS),
            "counted": [
                {
                    "contract_id": c.row.contract_id,
                    "title": c.row.title,
                    "ended_at": when(c.row),
                    "ending": c.row.ending,
                    "weight_minor": c.weight,
                    "outcome": _decimal(c.parts["outcome"]),
                    "on_time": _decimal(c.parts["on_time"]),
                    "public_rating": c.row.rating if c.parts["public_rating"] is not None else None,
                    "quality": _decimal(c.quality),
                    "contribution": _decimal(c.contribution),
                    "note": c.row.feedback_note,
                }
                for c in self.counted
            ],
            "private": {
                "ratings": self.private.ratings,
                "clients": self.private.clients,
                "min_clients": MIN_PRIVATE_CLIENTS,
                "used": self.private.used,
                "contribution": _decimal(self.private.contribution),
            },
            "excluded": [
                {
                    "contract_id": e.row.contract_id,
                    "title": e.row.title,
                    "ended_at": when(e.row),
                    "ending": e.row.ending,
                    "reason": e.reason,
                }
                for e in self.excluded
            ],
        }


def _decimal(value: Fraction | None) -> str | None:
    """A fraction as a decimal string with two places, rounded half up (for people)."""
    if value is None:
        return None
    hundredths = _round_half_up(value * 100)
    sign = "-" if hundredths < 0 else ""
    hundredths = abs(hundredths)
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}"


def _round_half_up(value: Fraction) -> int:
    return int((value + Fraction(1, 2)).__floor__())


def counts_in_score(row: ContractRow) -> bool:
    """SPEC section 6: money paid to the freelancer, or an ending with freelancer fault."""
    return row.counts_for_trust and (row.paid_out_minor > 0 or row.fault == "freelancer")


def exclusion_reason(row: ContractRow) -> str:
    if not row.counts_for_trust:
        return f"{row.not_counted or 'ended without money paid or fault'}: not counted"
    # Counts for feedback (a fault) but not here: the client was at fault and nothing was
    # paid, which says nothing about the freelancer's work.
    return "the client was at fault and nothing was paid: not counted"


def rating_value(stars: int) -> Fraction:
    """Ratings 1..5 map to 0..1."""
    return Fraction(stars - 1, 4)


def parts_of(row: ContractRow) -> dict[str, Fraction | None]:
    """Each part of one contract's quality, from 0 to 1 (None: missing). The private
    rating is not one of them: it is pooled (``private_of``)."""
    return {
        # Whose fault: only the freelancer's own fault costs them the outcome.
        "outcome": Fraction(0) if row.fault == "freelancer" else Fraction(1),
        # Delivered by the due instant (the clock already skips their days off).
        "on_time": Fraction(0) if row.late else Fraction(1),
        "public_rating": rating_value(row.rating) if row.rating is not None else None,
    }


def quality_of(parts: dict[str, Fraction | None]) -> Fraction:
    present = [(weight, parts[name]) for name, weight in CONTRACT_PARTS if parts[name] is not None]
    total = sum(weight for weight, _ in present)
    return (
        sum((weight * value for weight, value in present if value is not None), Fraction(0)) / total
    )


def weight_of(row: ContractRow) -> int:
    """A contract weighs what it was worth: its price (at least one minor unit)."""
    return max(row.price_minor, row.paid_out_minor, 1)


def compute(rows: list[ContractRow], *, now: datetime) -> Breakdown:
    """The breakdown of ``rows`` (the freelancer's ended contracts) at ``now``."""
    start = now - WINDOW
    in_window = sorted(
        (r for r in rows if start < r.ended_at <= now),
        key=lambda r: (r.ended_at, r.contract_id),
        reverse=True,
    )
    counted_rows = [r for r in in_window if counts_in_score(r)]
    excluded = tuple(Excluded(r, exclusion_reason(r)) for r in in_window if not counts_in_score(r))
    total_weight = sum(weight_of(r) for r in counted_rows)
    private = private_of(counted_rows)
    # The contracts' quality fills what the pooled private part leaves (85 or 100 points).
    share = 100 - PRIVATE_WEIGHT if private.used else 100
    counted: list[Counted] = []
    for r in counted_rows:
        parts = parts_of(r)
        quality = quality_of(parts)
        weight = weight_of(r)
        counted.append(
            Counted(
                row=r,
                weight=weight,
                parts=parts,
                quality=quality,
                contribution=share * weight * quality / total_weight,
            )
        )
    clients = len({r.client_id for r in counted_rows})
    exact = sum((c.contribution for c in counted), private.contribution) if counted else None
    shown = exact is not None and clients >= MIN_CLIENTS
    return Breakdown(
        score=_round_half_up(exact) if shown and exact is not None else None,
        exact=exact if shown else None,
        clients=clients,
        counted=tuple(counted),
        excluded=excluded,
        private=private,
        window_start=start,
        computed_at=now,
    )


def private_of(counted_rows: list[ContractRow]) -> Private:
    """The pooled private part of the counted contracts: the value-weighted average of
    their private ratings (0 to 1) times ``PRIVATE_WEIGHT`` points, used only when the
    ratings come from at least ``MIN_PRIVATE_CLIENTS`` different clients."""
    rated = [r for r in counted_rows if r.private_rating is not None]
    clients = len({r.client_id for r in rated})
    if clients < MIN_PRIVATE_CLIENTS:
        return Private(ratings=len(rated), clients=clients, used=False, contribution=Fraction(0))
    weights = sum(weight_of(r) for r in rated)
    pooled = (
        sum(
            (weight_of(r) * rating_value(r.private_rating) for r in rated if r.private_rating),
            Fraction(0),
        )
        / weights
    )
    return Private(
        ratings=len(rated), clients=clients, used=True, contribution=PRIVATE_WEIGHT * pooled
    )
