"""Badges on profiles and cards: plain words for what the stored numbers already say.

Read from ``FreelancerScore`` only (no query of their own), so search results and project
cards can show them for free. ``docs/success-score.md`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TOP_RATED_SCORE = 90
TOP_RATED_CLIENTS = 5
RISING_SCORE = 80


@dataclass(frozen=True)
class Badge:
    slug: str
    label: str
    why: str


def badges_for(score: Any) -> list[Badge]:
    """The badges a stored score earns (``score`` may be None: no badges)."""
    if score is None or score.score is None:
        return []
    out: list[Badge] = []
    if score.score >= TOP_RATED_SCORE and score.clients >= TOP_RATED_CLIENTS:
        out.append(
            Badge(
                "top_rated",
                "Top rated",
                f"Success score {TOP_RATED_SCORE} or more with at least "
                f"{TOP_RATED_CLIENTS} clients in the last 12 months",
            )
        )
    elif score.score >= RISING_SCORE:
        out.append(
            Badge(
                "rising_talent",
                "Rising talent",
                f"Success score {RISING_SCORE} or more in the last 12 months",
            )
        )
    return out
