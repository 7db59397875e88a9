"""Reads on contracts; ``access_contract`` is the one door to a contract by id."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.functions import RowNumber

from fairlance.contracts.models import (
    Contract,
    ContractEvent,
    Delivery,
    DeliveryFile,
    Fault,
    Outcome,
    Proposal,
)
from fairlance.core.errors import NotFound
from fairlance.files.models import Upload
from fairlance.files.selectors import as_uuid

# Database ids are 64-bit; a bigger number in a URL cannot name anything (and would make
# the database driver raise instead of finding nothing).
MAX_ID = 2**63 - 1


def valid_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def access_contract(*, user: Any, contract_id: int, for_update: bool = False) -> Contract:
    """The contract if ``user`` is its client, its freelancer or an operator.

    Everyone else gets ``NotFound``, exactly as for an id that does not exist, so ids
    reveal nothing. Operators read everything; what they may *do* is up to the engine.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not valid_id(contract_id):
        raise NotFound()
    qs = Contract.objects.select_related("client", "freelancer", "freelancer__calendar")
    if not getattr(user, "is_operator", False):
        qs = qs.filter(Q(client=user) | Q(freelancer=user))
    if for_update:
        qs = qs.select_for_update()
    contract = qs.filter(pk=contract_id).first()
    if contract is None:
        raise NotFound()
    return contract


def contracts_of_user(
    *, user: Any, role: str | None = None, state: str | None = None
) -> QuerySet[Contract]:
    """The user's contracts as client and/or freelancer, newest first."""
    if role == "client":
        qs = Contract.objects.filter(client=user)
    elif role == "freelancer":
        qs = Contract.objects.filter(freelancer=user)
    else:
        qs = Contract.objects.filter(Q(client=user) | Q(freelancer=user))
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("client", "freelancer").order_by("-id")


def contract_events(*, contract: Contract) -> QuerySet[ContractEvent]:
    return contract.events.select_related("actor").order_by("seq")


def contract_deliveries(*, contract: Contract) -> list[Delivery]:
    """The contract's deliveries in order, each with its files' uploads.

    Two queries (one when there is no delivery yet), whatever the number of files.
    """
    files = Prefetch("files", queryset=DeliveryFile.objects.select_related("upload"))
    return list(contract.deliveries.order_by("number").prefetch_related(files))


@dataclass(frozen=True)
class OpenDispute:
    """One row of the operators' dispute queue."""

    contract: Contract
    opened_by: str  # "client" | "freelancer"
    opened_at: datetime | None
    reason: str
    escrow_minor: int


def disputes_open() -> list[OpenDispute]:
    """Contracts in dispute, the longest-waiting first, with the opener's reason.

    Three queries whatever the queue's length: contracts, their latest ``open_dispute``
    events and the escrow balances (read from the ledger, which is the truth about money).
    """
    from fairlance.ledger.accounts import escrow
    from fairlance.ledger.models import LedgerAccount

    contracts = list(
        Contract.objects.filter(state="disputed")
        .select_related("client", "freelancer")
        .order_by("dispute_opened_at", "id")
    )
    ids = [c.pk for c in contracts]
    reasons: dict[int, str] = {}
    # Ascending seq: the latest opening of each contract wins (a dispute may be withdrawn
    # and opened again).
    for contract_id, data in (
        ContractEvent.objects.filter(contract_id__in=ids, name="open_dispute")
        .order_by("contract_id", "seq")
        .values_list("contract_id", "data")
    ):
        reasons[contract_id] = str((data or {}).get("reason", ""))
    held = dict(
        LedgerAccount.objects.filter(name__in=[escrow(i) for i in ids]).values_list(
            "name", "balance"
        )
    )
    return [
        OpenDispute(
            contract=c,
            opened_by=c.dispute_opened_by,
            opened_at=c.dispute_opened_at,
            reason=reasons.get(c.pk, ""),
            escrow_minor=int(held.get(escrow(c.pk), 0)),
        )
        for c in contracts
    ]


# --- the client card ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CardFeedback:
    """One public feedback a freelancer wrote about the client (never the private part)."""

    rating: int
    text: str
    published_at: datetime
    project_title: str


# How many of the freelancers' recent public texts a card shows.
CARD_RECENT_FEEDBACK = 3


@dataclass(frozen=True)
class ClientCard:
    """What a freelancer may know about a client before and while working for them.

    Plain values (amounts in minor units); the web and the API format them. The rules
    (SPEC section 6, docs/trust.md) keep a client from being blamed for the freelancer's
    choices or for the clock:

    - ``contracts`` counts contracts whose work began (they reached ``in_progress``);
    - ``completions`` are endings with outcome ``completed`` and no one at fault;
    - ``client_caused_endings`` are endings with ``fault == "client"``, whatever the
      outcome; every other ending (the no-fault cancellations, and anything decided as the
      freelancer's fault, even when part of the price was paid) counts as neither;
    - ``total_spent_minor`` is what the ledger released from the client's escrows to the
      freelancer side (the freelancer's share and the fees), so a dispute split counts
      its released part and refunds count nothing;
    - ``payment_verified``: money was once captured from this client into an escrow.

    Ratings come from published feedback (``reviews``), which only endings that count
    take, so a no-fault ending adds nothing to them either:

    - ``average_rating_given``: the public ratings this client gave freelancers, published
      and not hidden by an operator (a freelancer removing one from their own profile does
      not change what the client gave: ``reviews.selectors.feedback_given``);
    - ``average_rating_received``: the public ratings freelancers gave this client,
      published and not hidden;
    - ``recent_feedback``: the last three public texts freelancers wrote about the client.

    An average is ``None`` while there is no rating to average.
    """

    client_id: int
    name: str
    member_since: date
    country: str  # ISO code, "" when unknown
    country_name: str
    payment_verified: bool
    total_spent_minor: int
    contracts: int
    completions: int
    client_caused_endings: int
    average_rating_given: float | None = None
    average_rating_received: float | None = None
    ratings_given_count: int = 0
    ratings_received_count: int = 0
    recent_feedback: tuple[CardFeedback, ...] = ()

    @property
    def counted_endings(self) -> int:
        return self.completions + self.client_caused_endings

    @property
    def completion_rate_percent(self) -> int | None:
        """Completions among the endings that count; ``None`` while none does."""
        return _percent(self.completions, self.counted_endings)

    @property
    def cancellation_rate_percent(self) -> int | None:
        """Client-caused endings among the endings that count; ``None`` while none does."""
        return _percent(self.client_caused_endings, self.counted_endings)


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def client_cards(*, client_ids: Collection[int]) -> dict[int, ClientCard]:
    """The ``ClientCard`` of each existing user in ``client_ids``, in four queries.

    Users, with their rating averages and counts as subqueries of the same statement;
    their contracts as client, counted per client in the database; the ledger's sums of
    those contracts per client (``money_totals_by``); and the freelancers' latest public
    feedback about each, numbered per client by a window function so only the last few
    are read: however long a client's history, nothing of it is loaded row by row.
    """
    from fairlance.accounts.places import country_name
    from fairlance.ledger.selectors import ContractMoney, money_totals_by

    ids = sorted({int(i) for i in client_ids if valid_id(i)})
    if not ids:
        return {}
    from fairlance.reviews.models import Feedback, Side
    from fairlance.reviews.selectors import shown

    def _ratings(qs: QuerySet[Feedback], by: str) -> tuple[Subquery, Subquery]:
        # One row per user: ``values(by)`` groups the aggregate by the user it is about.
        grouped = qs.filter(**{by: OuterRef("pk")}).order_by().values(by)
        return (
            Subquery(grouped.annotate(v=Avg("rating")).values("v")[:1]),
            Subquery(grouped.annotate(n=Count("pk")).values("n")[:1]),
        )

    # The rule of ``reviews.selectors.feedback_given``: published, not hidden by an operator.
    given = Feedback.objects.filter(
        author_role=Side.CLIENT, published_at__isnull=False, hidden_at__isnull=True
    )
    given_avg, given_n = _ratings(given, "author_id")
    received = shown(Feedback.objects.filter(author_role=Side.FREELANCER))
    received_avg, received_n = _ratings(received, "subject_id")
    users = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(pk__in=ids)
        .annotate(
            given_avg=given_avg,
            given_n=given_n,
            received_avg=received_avg,
            received_n=received_n,
        )
    }
    theirs = Contract.objects.filter(client_id__in=list(users))
    counts: dict[int, dict[str, Any]] = {
        row["client_id"]: dict(row)
        for row in theirs.values("client_id").annotate(
            started=Count("pk", filter=Q(work_started_at__isnull=False)),
            client_fault=Count("pk", filter=Q(fault=Fault.CLIENT)),
            completed=Count("pk", filter=Q(outcome=Outcome.COMPLETED, fault=Fault.NONE)),
        )
    }
    client_of_entry = Subquery(
        Contract.objects.filter(pk=OuterRef("entry__contract_id")).values("client_id")[:1]
    )
    money = money_totals_by(contract_ids=theirs.values("pk"), group=client_of_entry)
    latest: dict[int, list[CardFeedback]] = {}
    for f in (
        received.filter(subject_id__in=list(users))
        .annotate(
            nth=Window(
                RowNumber(),
                partition_by=[F("subject_id")],
                order_by=[F("published_at").desc(), F("pk").desc()],
            )
        )
        .filter(nth__lte=CARD_RECENT_FEEDBACK)
        .order_by("subject_id", "nth")
        .values("subject_id", "rating", "public_text", "published_at", "contract__snapshot")
    ):
        published_at = f["published_at"]
        assert published_at is not None  # shown feedback is published
        latest.setdefault(f["subject_id"], []).append(
            CardFeedback(
                rating=f["rating"],
                text=f["public_text"],
                published_at=published_at,
                project_title=str((f["contract__snapshot"] or {}).get("project_title", "")),
            )
        )
    cards: dict[int, ClientCard] = {}
    for uid, user in users.items():
        row = counts.get(uid, {})
        m = money.get(uid, ContractMoney())
        cards[uid] = ClientCard(
            client_id=uid,
            name=user.public_name,
            member_since=user.date_joined.date(),
            country=user.country,
            country_name=country_name(user.country.upper()) if user.country else "",
            # Money was taken from them once: a hold alone verifies nothing.
            payment_verified=m.paid_in > 0,
            # What left their escrows for the freelancer side: releases and dispute
            # shares, never refunds.
            total_spent_minor=m.to_freelancer + m.to_platform,
            contracts=int(row.get("started", 0)),
            completions=int(row.get("completed", 0)),
            client_caused_endings=int(row.get("client_fault", 0)),
            average_rating_given=_average(user.given_avg),
            average_rating_received=_average(user.received_avg),
            ratings_given_count=int(user.given_n or 0),
            ratings_received_count=int(user.received_n or 0),
            recent_feedback=tuple(latest.get(uid, ())),
        )
    return cards


def _average(value: Any) -> float | None:
    """An average rating to two places (``None``: nothing to average)."""
    return None if value is None else round(float(value), 2)


def client_card(*, client_id: int) -> ClientCard:
    """The client card of one user; ``NotFound`` for an id that names nobody."""
    card = client_cards(client_ids=[client_id]).get(client_id)
    if card is None:
        raise NotFound()
    return card


def access_client_card(*, viewer: Any, client_id: int) -> ClientCard:
    """The client card of ``client_id`` if ``viewer`` may read it, else ``NotFound``.

    The client reads their own card, operators read every card, and a freelancer reads
    the card of a client who contacted them or bought from them: a contract in any state
    (a request they were asked to accept is exactly when it matters) or a quote request
    in any state. Everyone else learns nothing, not even whether the user exists.
    """
    from fairlance.quotes.models import QuoteRequest

    if viewer is None or not getattr(viewer, "is_authenticated", False) or not valid_id(client_id):
        raise NotFound()
    allowed = (
        viewer.pk == client_id
        or getattr(viewer, "is_operator", False)
        or Contract.objects.filter(client_id=client_id, freelancer_id=viewer.pk).exists()
        or QuoteRequest.objects.filter(client_id=client_id, freelancer_id=viewer.pk).exists()
    )
    if not allowed:
        raise NotFound()
    return client_card(client_id=client_id)


# --- repeat purchases ----------------------------------------------------------------------------

# How long after a purchase buying the same project again is asked about first.
REPEAT_PURCHASE_WINDOW = timedelta(hours=24)


def contract_recent_purchase(*, client_id: int, project_id: int, now: datetime) -> Contract | None:
    """The client's latest contract on the project if bought within the repeat window.

    Checkout asks "You bought this 3 minutes ago — buy again?" when there is one, so a
    second purchase is always a choice, never an accident (a Back button, a second tab).
    Every state counts: a contract that already ended is still a recent purchase.
    """
    return (
        Contract.objects.filter(
            client_id=client_id,
            project_id=project_id,
            created_at__gt=now - REPEAT_PURCHASE_WINDOW,
        )
        .order_by("-created_at", "-id")
        .first()
    )


# --- contract files: the one door to a file of a contract ------------------------------


def access_contract_file(*, user: Any, contract_id: int, file_id: Any) -> Upload:
    """The file ``file_id`` attached to contract ``contract_id``, if ``user`` may see it.

    Who may see the contract decides (its client, its freelancer, an operator:
    ``access_contract``); the file must be attached to *that* contract. Everything else
    (strangers, anonymous callers, a malformed id, another contract's file) is the same
    ``NotFound`` as an id that does not exist.
    """
    contract = access_contract(user=user, contract_id=contract_id)
    public_id = as_uuid(file_id)
    if public_id is None:
        raise NotFound()
    upload = Upload.objects.filter(public_id=public_id, contract=contract).first()
    if upload is None:
        raise NotFound()
    return upload


def contract_files(*, contract: Contract, public_ids: Iterable[Any]) -> dict[str, Upload]:
    """The contract's attached uploads among ``public_ids``, keyed by id (as text)."""
    ids = {u for u in (as_uuid(v) for v in public_ids) if u is not None}
    if not ids:
        return {}
    return {
        str(u.public_id): u for u in Upload.objects.filter(contract=contract, public_id__in=ids)
    }


def access_proposal(*, user: Any, proposal_id: int) -> Proposal:
    """The proposal if ``user`` may see its contract (``access_contract``); everyone else
    gets the same ``NotFound`` as for an id that does not exist."""
    if not valid_id(proposal_id):
        raise NotFound()
    contract_id = (
        Proposal.objects.filter(pk=proposal_id).values_list("contract_id", flat=True).first()
    )
    if contract_id is None:
        raise NotFound()
    contract = access_contract(user=user, contract_id=contract_id)
    proposal = Proposal.objects.get(pk=proposal_id)
    proposal.contract = contract
    return proposal


def contract_proposals(*, contract: Contract) -> list[Proposal]:
    """Every proposal of the contract, oldest first (the caller may see the contract)."""
    proposals = list(Proposal.objects.filter(contract=contract).order_by("id"))
    for proposal in proposals:
        proposal.contract = contract
    return proposals
