"""Plain values that describe a project's parts, as the editor (API or web form) sends them.

They carry no validation of their own: ``catalog.services`` checks them all at once so a
caller gets every field error in one answer, with paths like ``tiers.1.price_minor``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TierInput:
    name: str
    price_minor: int
    delivery_days: int
    revisions: int = 1
    deliverables: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class AddOnInput:
    title: str
    price_minor: int
    extra_delivery_days: int = 0


@dataclass(frozen=True)
class QuestionInput:
    prompt: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    required: bool = True


@dataclass(frozen=True)
class FaqInput:
    question: str
    answer: str
