"""What the contract room shows of a contract's milestones (``contracts/milestones.py``).

Kept apart from ``contract_presenters`` (state and role -> buttons and texts): milestones
are shown the same way to everyone who may see the contract.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairlance.contracts.milestones import current_index, milestones_of
from fairlance.contracts.models import Contract
from fairlance.core.money import format_minor
from fairlance.core.workdays import format_local_day


@dataclass(frozen=True)
class MilestoneView:
    number: int
    title: str
    amount: str
    state: str  # in words, e.g. "Released to the freelancer"
    due_local: str  # "" when its work has not started
    due_iso: str
    due_explanation: str
    current: bool


def milestone_views(contract: Contract, *, tz_name: str) -> list[MilestoneView]:
    """The milestones of ``contract`` in order, due dates in the viewer's zone; empty for
    a contract with one milestone (the catalog's), whose room shows nothing new."""
    rows = milestones_of(contract)
    if len(rows) < 2:
        return []
    index = current_index(rows)
    return [
        MilestoneView(
            number=i + 1,
            title=m.title,
            amount=format_minor(m.amount_minor),
            state=m.get_state_display(),
            due_local=format_local_day(m.due_at, tz_name) if m.due_at else "",
            due_iso=m.due_at.isoformat() if m.due_at else "",
            due_explanation=m.due_explanation,
            current=i == index,
        )
        for i, m in enumerate(rows)
    ]
