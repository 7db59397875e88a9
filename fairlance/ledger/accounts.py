"""Ledger account names.

An account is identified by its name; rows are created on first use. The names follow
formance's colon-separated convention so that a name alone says what the money is:

- ``world``                          outside the platform (cards, banks); the only account
                                     allowed to go negative — it is where money comes from.
- ``escrow:contract:{id}``           a client's payment held for one contract.
- ``freelancer:{user_id}:pending``   earned, waiting for the clearance period.
- ``freelancer:{user_id}:available`` cleared, may be paid out.
- ``platform:fees``                  the marketplace's fees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORLD = "world"
PLATFORM_FEES = "platform:fees"

KIND_WORLD = "world"
KIND_ESCROW = "escrow"
KIND_PENDING = "freelancer_pending"
KIND_AVAILABLE = "freelancer_available"
KIND_PLATFORM = "platform"

_ESCROW_RE = re.compile(r"^escrow:contract:([1-9][0-9]{0,18})$")
_FREELANCER_RE = re.compile(r"^freelancer:([1-9][0-9]{0,18}):(pending|available)$")


def escrow(contract_id: int) -> str:
    """The escrow account holding the client's money for one contract."""
    return f"escrow:contract:{int(contract_id)}"


def freelancer_pending(user_id: int) -> str:
    """A freelancer's earnings that are still inside the clearance period."""
    return f"freelancer:{int(user_id)}:pending"


def freelancer_available(user_id: int) -> str:
    """A freelancer's cleared earnings, which they may pay out."""
    return f"freelancer:{int(user_id)}:available"


@dataclass(frozen=True, slots=True)
class ParsedAccount:
    kind: str
    user_id: int | None = None
    contract_id: int | None = None


def parse_account(name: str) -> ParsedAccount:
    """What an account name means; raises ``ValueError`` for a name outside the scheme.

    Refusing unknown names keeps typos ("escrow:contracts:5") from silently creating a new
    account that would hold money nobody ever looks at.
    """
    if name == WORLD:
        return ParsedAccount(KIND_WORLD)
    if name == PLATFORM_FEES:
        return ParsedAccount(KIND_PLATFORM)
    m = _ESCROW_RE.match(name)
    if m:
        return ParsedAccount(KIND_ESCROW, contract_id=int(m.group(1)))
    m = _FREELANCER_RE.match(name)
    if m:
        kind = KIND_PENDING if m.group(2) == "pending" else KIND_AVAILABLE
        return ParsedAccount(kind, user_id=int(m.group(1)))
    raise ValueError(f"unknown ledger account name: {name!r}")
