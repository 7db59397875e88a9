"""What the contract room shows of proposals: a card per open one, and the propose form.

The engine and ``contracts/proposals.py`` decide what a viewer may do; this only words it
for the viewer (their time zone, their side).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fairlance.contracts import proposals
from fairlance.contracts.models import Contract, Proposal
from fairlance.core.money import format_minor
from fairlance.web.contract_presenters import local_time, relative


@dataclass(frozen=True)
class ProposalCard:
    id: int
    kind: str
    label: str
    summary: str
    who: str
    note: str
    expires_local: str
    expires_iso: str
    expires_relative: str
    explanation: str
    actions: list[str]
    # What accepting it charges the client ("" when nothing), and whether this viewer's
    # accept takes their card for it.
    client_pays: str = ""
    card_on_accept: bool = False
    # The client proposed it: what they pay is held on their card already.
    held: bool = False


@dataclass(frozen=True)
class ProposeForm:
    """The "Propose a change" form: the kinds this contract's state takes."""

    kinds: list[tuple[str, str]]
    # The client proposing an increase holds it on their card: the form asks for one.
    card_for_increase: bool = False


def proposal_cards(
    items: list[Proposal], *, contract: Contract, role: str, tz_name: str, now: datetime
) -> list[ProposalCard]:
    """Cards for the open proposals (closed ones are events in the timeline)."""
    cards = []
    for p in items:
        if p.status != "open":
            continue
        kind = proposals.KINDS.get(p.kind)
        pays = proposals.client_pays(p, contract)
        if p.proposed_by == role:
            who = "You proposed"
        else:
            party = contract.client if p.proposed_by == "client" else contract.freelancer
            who = f"{party.public_name} proposes"
        cards.append(
            ProposalCard(
                id=p.pk,
                kind=p.kind,
                label=kind.label if kind else p.kind,
                summary=proposals.describe(p),
                who=who,
                note=p.note,
                expires_local=local_time(p.expires_at, tz_name),
                expires_iso=p.expires_at.isoformat(),
                expires_relative=relative(p.expires_at, now),
                explanation=p.expiry_note,
                actions=proposals.proposal_actions(p, role),
                client_pays=format_minor(pays) if pays else "",
                card_on_accept=bool(pays) and role == "client" and not p.hold_ref,
                held=bool(p.hold_ref),
            )
        )
    return cards


def propose_form(contract: Contract, *, names: list[str], role: str) -> ProposeForm | None:
    """The form, if the viewer is a party and the contract takes proposals now."""
    if role not in proposals.PARTIES or "propose" not in names:
        return None
    offered = [k for k in proposals.KINDS.values() if contract.state in k.states]
    if not offered:
        return None
    return ProposeForm(
        [(k.name, k.label) for k in offered],
        card_for_increase=role == "client" and any(k.charges_client for k in offered),
    )


def room_proposals(
    contract: Contract,
    *,
    items: list[Proposal],
    names: list[str],
    role: str,
    tz_name: str,
    now: datetime,
) -> dict[str, Any]:
    """The room's proposal context: ``proposal_cards`` and ``propose_form``."""
    return {
        "proposal_cards": proposal_cards(
            items, contract=contract, role=role, tz_name=tz_name, now=now
        ),
        "propose_form": propose_form(contract, names=names, role=role),
    }
