"""A deterministic, realistic marketplace at scale, written with bulk inserts.

The domain services create one object per call with its checks and side effects; at
hundreds of thousands of rows that would take hours. This module writes the same rows the
services would (same fields, same ledger shape) with ``bulk_create`` in batches, and then
proves the result consistent: ``ledger_check()`` must come back clean, and the search index
is rebuilt with the search package's own ``reindex_all()``.

What it writes, for ``--seed N`` the same content every time (dates are relative to the
day of the run, so running contracts are always running):

- freelancers with working calendars in varied time zones and working weeks, a few away;
- clients;
- published projects in every category, with 1-3 tiers, 0-2 add-ons and a question,
  titles and descriptions from word lists, with a long tail of rare words for search;
- contracts: about 85% completed (capture, release to the freelancer and platform fee) and
  15% in progress (money held in escrow, a slot of the project's capacity taken), each
  with its milestone, its events and balanced journal entries;
- feedback on most completed contracts (clients more often than freelancers), published as
  the product would have published it by now, and for every freelancer with an ended
  contract the stored success score (``reviews.score.compute`` on the rows written), a
  few history points, and their projects' ratings from the published client feedback.

Simplifications, stated so nobody mistakes them for the product's behaviour: completed
contracts release straight to the freelancer's *available* account (as if the clearance
period had passed) so no ``PendingClearance`` rows are needed; running contracts get no
timers; all seeded users share one password hash (``SEED_PASSWORD``). Feedback is written
already published (no ``leave_feedback`` events, no feedback timers); a side that would
still be waiting for the other inside the window is left out, so nothing waits on a timer
that does not exist. No feedback is removed, hidden, reported or late.
"""

from __future__ import annotations

import html
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from fairlance.accounts.models import TimeOff, User, WorkingCalendar
from fairlance.catalog.models import (
    AddOn,
    Category,
    Project,
    ProjectStatus,
    RequirementQuestion,
    Tier,
)
from fairlance.catalog.search import reindex_all
from fairlance.contracts.models import Contract, ContractEvent, Milestone, Outcome
from fairlance.contracts.process import PROCESS_VERSION
from fairlance.core.markdown import render_markdown
from fairlance.core.money import percent_of
from fairlance.core.policy import policy_in_force
from fairlance.ledger import accounts as names
from fairlance.ledger.models import JournalEntry, LedgerAccount, Posting
from fairlance.ledger.selectors import ledger_check
from fairlance.reviews import score as trust_score
from fairlance.reviews.models import Feedback, FreelancerScore, ScorePoint, Side

SEED_EMAIL_DOMAIN = "seed.fairlance.test"
SEED_PASSWORD = "seed-password-not-secret"
# Shares of completed contracts with feedback from each side (as on the big marketplaces,
# clients rate more often than freelancers do).
CLIENT_FEEDBACK_SHARE = 0.75
FREELANCER_FEEDBACK_SHARE = 0.6
# Public ratings given: mostly five stars, a long tail below.
RATINGS = (5, 5, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1)
FEEDBACK_TEXTS = (
    "Great work, on time and exactly what we asked for.",
    "Clear communication and a quick turnaround.",
    "Good result; one round of changes needed.",
    "Would hire again.",
    "Friendly, professional and fast.",
    "",
)
CLIENT_TEXTS = ("Clear brief and quick answers.", "A pleasure to work with.", "Paid promptly.", "")
# The score history: a point today and one every 30 days before, this many in all.
SCORE_POINTS = 4


@dataclass(frozen=True)
class SeedConfig:
    projects: int = 100_000
    freelancers: int = 20_000
    clients: int = 50_000
    contracts: int = 300_000
    seed: int = 42
    batch: int = 5_000
    # The ledger check reads every posting; at full scale that is a few seconds worth it.
    check_ledger: bool = True


@dataclass
class SeedReport:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    ledger_problems: list[str] = field(default_factory=list)


# --- word lists -----------------------------------------------------------------------------

SERVICES: dict[str, list[str]] = {
    "design": [
        "logo",
        "brand identity",
        "business card",
        "illustration",
        "icon set",
        "poster",
        "book cover",
        "packaging design",
        "mascot",
        "infographic",
        "landing page mockup",
        "app UI design",
        "t-shirt design",
        "flyer",
        "letterhead",
        "sticker",
        "watercolor portrait",
    ],
    "development": [
        "WordPress website",
        "Django API",
        "Shopify store",
        "React dashboard",
        "landing page",
        "Python script",
        "browser extension",
        "mobile app prototype",
        "web scraper",
        "Stripe integration",
        "bug fix",
        "PostgreSQL optimisation",
        "Telegram bot",
        "static site",
        "REST API",
        "Chrome extension",
        "Laravel backend",
    ],
    "writing": [
        "blog article",
        "product description",
        "press release",
        "resume",
        "cover letter",
        "translation",
        "proofreading",
        "newsletter",
        "ebook",
        "website copy",
        "speech",
        "technical documentation",
        "grant proposal",
        "case study",
        "ghostwritten chapter",
    ],
    "marketing": [
        "SEO audit",
        "keyword research",
        "Google Ads campaign",
        "social media calendar",
        "email campaign",
        "backlink outreach",
        "Instagram growth plan",
        "marketing strategy",
        "competitor analysis",
        "TikTok content plan",
        "LinkedIn profile makeover",
    ],
    "video": [
        "explainer video",
        "YouTube edit",
        "logo animation",
        "wedding video edit",
        "motion graphics",
        "product video",
        "subtitles",
        "intro animation",
        "reel edit",
        "whiteboard animation",
        "music video edit",
    ],
    "audio": [
        "podcast edit",
        "voice-over",
        "jingle",
        "mixing and mastering",
        "audiobook narration",
        "sound design",
        "beat production",
        "vocal tuning",
        "radio spot",
    ],
    "data": [
        "Excel dashboard",
        "data cleaning",
        "Power BI report",
        "machine learning model",
        "SQL report",
        "survey analysis",
        "Tableau dashboard",
        "web data extraction",
        "forecasting model",
        "Google Sheets automation",
    ],
    "business": [
        "business plan",
        "bookkeeping",
        "market research",
        "pitch deck",
        "financial model",
        "virtual assistance",
        "legal template",
        "tax preparation",
        "investor memo",
    ],
    "photography": [
        "product photo retouch",
        "background removal",
        "photo restoration",
        "headshot edit",
        "real estate photo edit",
        "color grading",
        "Amazon listing photos",
    ],
    "lifestyle": [
        "Spanish lesson",
        "guitar lesson",
        "fitness plan",
        "career coaching",
        "meal plan",
        "math tutoring",
        "English conversation",
        "chess coaching",
        "meditation session",
    ],
}
ADJECTIVES = [
    "modern",
    "minimalist",
    "professional",
    "custom",
    "unique",
    "clean",
    "creative",
    "fast",
    "affordable",
    "premium",
    "hand-drawn",
    "responsive",
    "vintage",
    "playful",
    "elegant",
    "bold",
    "friendly",
    "detailed",
    "SEO-friendly",
    "high-converting",
]
AUDIENCES = [
    "startup",
    "small business",
    "brand",
    "shop",
    "podcast",
    "restaurant",
    "agency",
    "nonprofit",
    "YouTube channel",
    "app",
    "bakery",
    "law firm",
    "dental clinic",
    "band",
    "school",
    "coffee shop",
    "real estate agency",
    "gym",
    "online course",
    "family",
]
VERBS = ["I will create", "I will design", "I will make", "I will deliver", "I will craft", ""]
TAG_WORDS = [
    "fast delivery",
    "unlimited revisions",
    "source files",
    "commercial use",
    "24h",
    "beginner friendly",
    "expert",
    "bilingual",
    "eco",
    "remote",
]
# A pseudo-word vocabulary for the long tail: each word ends up in a handful of projects,
# which is what a "rare word" query looks like on a real catalog.
_SYLLABLES = [
    "ka", "zor", "vin", "lum", "tre", "qua", "bex", "nol", "dri", "fen", "yal", "mop",
    "sut", "gri", "hob", "jex", "pla", "ron", "wib", "cas", "dul", "mek", "tov", "nix",
]  # fmt: skip

DESCRIPTION_TEMPLATES = [
    "## What you get\n\nA {adjective} **{service}** made for your {audience}.\n\n"
    "- {tier_note}\n- Delivered on time, every time\n- Clear communication\n\n"
    "Ask me about *{rare}* work before you buy.",
    "Hi! I have made {years} years of {service} work for clients like yours.\n\n"
    "1. Tell me about your {audience}\n2. I send a first draft\n3. We polish it together\n\n"
    "Keywords: {rare}, {adjective}.",
    "Looking for a {adjective} {service}? You are in the right place.\n\n"
    "> Quality first, no shortcuts.\n\nEvery order includes {tier_note}. Specialities: {rare}.",
]
TIME_ZONES = [
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Warsaw",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Manila",
    "Asia/Tokyo",
    "Africa/Lagos",
    "Australia/Sydney",
    "UTC",
    "Asia/Karachi",
    "Europe/Kyiv",
]
COUNTRIES = [
    "PT",
    "DE",
    "PL",
    "US",
    "US",
    "US",
    "BR",
    "IN",
    "PH",
    "JP",
    "NG",
    "AU",
    "GB",
    "PK",
    "UA",
]
WEEKS = [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [0, 1, 2, 3]]
FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana", "Ivo", "Jin", "Kai", "Lea"]
LAST = ["Silva", "Novak", "Okafor", "Tanaka", "Ramos", "Kowalski", "Patel", "Smith", "Reyes"]


def rare_words(rng: random.Random, count: int) -> list[str]:
    # 24 syllables, 3-4 per word: ~350,000 possible words, far more than ever asked for.
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4))))
    return sorted(words)


def seed_user_email(kind: str, index: int) -> str:
    return f"{kind}{index}@{SEED_EMAIL_DOMAIN}"


# --- helpers --------------------------------------------------------------------------------


class BulkWriter:
    """Multi-row inserts with primary keys allocated here, one ``executemany`` per batch.

    ``bulk_create`` spends ~15 µs per field value compiling SQL and building model
    instances: at 3.5 million rows that alone is past the five-minute budget. Rows here are
    plain dicts keyed by attribute name (``freelancer_id``), converted once per field with
    the database's own adapters, and ids are taken from ``MAX(id) + 1`` so children can
    point at parents without a RETURNING round trip. ``finish()`` moves PostgreSQL's
    sequences past the ids used (SQLite's AUTOINCREMENT follows by itself).
    """

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.pending: dict[type[models.Model], list[dict[str, Any]]] = defaultdict(list)
        self.next_ids: dict[type[models.Model], int] = {}
        self.written: dict[str, int] = defaultdict(int)
        self.plans: dict[type[models.Model], tuple[str, list[Callable[[dict[str, Any]], Any]]]] = {}

    def new_id(self, model: type[models.Model]) -> int:
        if model not in self.next_ids:
            top = model._default_manager.aggregate(top=models.Max("pk"))["top"]
            self.next_ids[model] = (top or 0) + 1
        value = self.next_ids[model]
        self.next_ids[model] = value + 1
        return value

    def add(self, model: type[models.Model], **values: Any) -> int:
        values.setdefault("id", self.new_id(model))
        rows = self.pending[model]
        rows.append(values)
        if len(rows) >= self.batch:
            self.flush(model)
        return int(values["id"])

    def _plan(self, model: type[models.Model]) -> tuple[str, list[Callable[[dict[str, Any]], Any]]]:
        if model in self.plans:
            return self.plans[model]
        ops = connection.ops
        columns: list[str] = []
        getters: list[Callable[[dict[str, Any]], Any]] = []
        for f in model._meta.concrete_fields:
            columns.append(ops.quote_name(str(f.column)))
            getters.append(_getter(f))
        # Table and column names come from the model, quoted; values are bound parameters.
        table = ops.quote_name(model._meta.db_table)
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        self.plans[model] = (sql, getters)
        return self.plans[model]

    def flush(self, model: type[models.Model] | None = None) -> None:
        for m in [model] if model is not None else list(self.pending):
            rows = self.pending.pop(m, [])
            if not rows:
                continue
            sql, getters = self._plan(m)
            values = [tuple(g(r) for g in getters) for r in rows]
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # COPY is PostgreSQL's bulk path: several times faster than INSERTs.
                    columns = sql[sql.index("(") : sql.index(")") + 1]
                    table = connection.ops.quote_name(m._meta.db_table)
                    with cursor.cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy:
                        for row in values:
                            copy.write_row(row)
                else:
                    cursor.executemany(sql, values)
            self.written[m._meta.label] += len(rows)

    def finish(self) -> None:
        self.flush()
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.next_ids))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def _getter(f: Any) -> Callable[[dict[str, Any]], Any]:
    """How to turn one row dict into the database value of field ``f``."""
    ops = connection.ops
    key = f.attname
    if f.has_default():
        default = f.default
        fallback: Callable[[], Any] = default if callable(default) else (lambda: default)
    elif f.null:
        fallback = lambda: None  # noqa: E731
    else:
        fallback = lambda: ""  # noqa: E731

    def raw(row: dict[str, Any]) -> Any:
        return row[key] if key in row else fallback()

    if isinstance(f, models.DateTimeField):
        return lambda row: ops.adapt_datetimefield_value(raw(row))
    if isinstance(f, models.DateField):
        return lambda row: ops.adapt_datefield_value(raw(row))
    if isinstance(f, models.TimeField):
        return lambda row: ops.adapt_timefield_value(raw(row))
    if isinstance(f, models.JSONField):
        return lambda row: json.dumps(raw(row))
    return raw


class Progress:
    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.started = time.monotonic()

    def step(self, message: str) -> None:
        self.out(f"[{time.monotonic() - self.started:6.1f}s] {message}")

    def bar(self, label: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        self.out(f"    {label:<10} [{'#' * filled}{'.' * (width - filled)}] {done:>8}/{total}")


@dataclass
class _ProjectPlan:
    freelancer_index: int
    category: str
    title: str
    description: str
    description_html: str
    tags: list[str]
    capacity: int
    tiers: list[tuple[str, int, int, int]]  # name, price, delivery days, revisions
    addons: list[tuple[str, int, int]]
    published_at: datetime
    # From the published client feedback planned on its contracts (``_plan_feedback``).
    rating_x100: int = 0
    rating_count: int = 0
    running: int = 0


def _price(rng: random.Random) -> int:
    # Log-uniform between $10 and $2,000, rounded to $5: a long-tailed price list.
    dollars = 10 * (200 ** rng.random())
    return max(1000, int(round(dollars / 5) * 5) * 100)


def _plan_projects(rng: random.Random, config: SeedConfig, now: datetime) -> list[_ProjectPlan]:
    rare = rare_words(rng, max(50, config.projects // 4))
    rendered: dict[int, str] = {i: render_markdown(t) for i, t in enumerate(DESCRIPTION_TEMPLATES)}
    slugs = list(SERVICES)
    plans: list[_ProjectPlan] = []
    for i in range(config.projects):
        # Freelancers own a Zipf-ish number of projects: a few prolific sellers, many with one.
        freelancer_index = min(
            int(config.freelancers * rng.random() ** 1.6), config.freelancers - 1
        )
        category = slugs[i % len(slugs)] if i < len(slugs) else rng.choice(slugs)
        service = rng.choice(SERVICES[category])
        adjective = rng.choice(ADJECTIVES)
        audience = rng.choice(AUDIENCES)
        verb = rng.choice(VERBS)
        title = f"{verb} a {adjective} {service} for your {audience}".strip()
        title = title[0].upper() + title[1:]
        word = rng.choice(rare)
        values = {
            "adjective": adjective,
            "service": service,
            "audience": audience,
            "rare": word,
            "years": str(rng.randint(2, 15)),
            "tier_note": rng.choice(["source files", "two revisions", "a quick call"]),
        }
        template = rng.randrange(len(DESCRIPTION_TEMPLATES))
        # Markdown is rendered once per template and the (plain-word) values substituted
        # into both forms, escaped for HTML: the same output render_markdown would give.
        description = DESCRIPTION_TEMPLATES[template].format(**values)
        description_html = rendered[template].format(
            **{k: html.escape(v) for k, v in values.items()}
        )
        base = _price(rng)
        tier_count = rng.choice([1, 2, 3, 3])
        names_ = ["Basic", "Standard", "Premium"][:tier_count]
        days = rng.randint(1, 10)
        tiers = [
            (n, base * (1 + 2 * k) if k else base, days + 3 * k, 1 + k)
            for k, n in enumerate(names_)
        ]
        addons = [
            (t, max(500, base // 4), rng.randint(0, 2))
            for t in rng.sample(
                ["Express delivery", "Source files", "Extra revision"], rng.randint(0, 2)
            )
        ]
        plans.append(
            _ProjectPlan(
                freelancer_index=freelancer_index,
                category=category,
                title=title[:120],
                description=description,
                description_html=description_html,
                tags=[service.lower(), rng.choice(TAG_WORDS), word],
                capacity=rng.choice([5, 10, 20, 20, 50]),
                tiers=tiers,
                addons=addons,
                published_at=now - timedelta(days=rng.random() * 720),
            )
        )
    return plans


# --- the seed -------------------------------------------------------------------------------


def contract_snapshot(
    *,
    project_id: int,
    title: str,
    category: str,
    tier_id: int,
    tier_name: str,
    price: int,
    days: int,
    revisions: int,
    fee: int,
) -> dict[str, Any]:
    """What a purchase freezes on its contract, for a seeded instant-mode purchase."""
    return {
        "project_id": project_id,
        "project_title": title,
        "category": category,
        "purchase_mode": "instant",
        "delivery_in_working_days": False,
        "tier": {
            "id": tier_id,
            "name": tier_name,
            "description": "",
            "price_minor": price,
            "delivery_days": days,
            "revisions": revisions,
            "deliverables": [f"{revisions} revision(s)", "final files"],
        },
        "addons": [],
        "questions": [],
        "price_minor": price,
        "fee_minor": fee,
    }


def write_event(
    w: BulkWriter,
    contract_id: int,
    seq: int,
    name: str,
    actor: tuple[str, int],
    states: tuple[str, str],
    at: datetime,
) -> None:
    """One contract event row: ``actor`` is (role, user id), ``states`` (from, to)."""
    w.add(
        ContractEvent,
        contract_id=contract_id,
        seq=seq,
        name=name,
        actor_role=actor[0],
        actor_id=actor[1],
        from_state=states[0],
        to_state=states[1],
        data={},
        created_at=at,
    )


def write_purchase(
    w: BulkWriter,
    *,
    client_id: int,
    freelancer_id: int,
    project_id: int,
    title: str,
    category: str,
    tier: tuple[int, str, int, int, int],
    policy: Any,
    started: datetime,
    world_id: int,
    charge_ref_prefix: str,
    completed_at: datetime | None = None,
) -> tuple[int, int, int]:
    """An instant purchase as ``contract_purchase`` leaves it, for bulk loads.

    Writes the contract (in progress, or completed at ``completed_at``), its milestone,
    the purchase event, its escrow account and the capture entry from ``world``; returns
    (contract id, escrow account id, amount captured). A completed contract's delivery,
    approval and release are the caller's to write; its escrow balance is already 0. The
    purchase's ``PurchaseAttempt`` row is not written: only a retry of that attempt would
    read a kept one, and the worker purges it two days later anyway.
    """
    tier_id, tier_name, price, days, revisions = tier
    fee = percent_of(price, policy.freelancer_fee_bp)
    total = price + percent_of(price, policy.client_fee_bp)
    done = completed_at is not None
    due = started + timedelta(days=days)
    cid = w.new_id(Contract)
    w.add(
        Contract,
        id=cid,
        client_id=client_id,
        freelancer_id=freelancer_id,
        project_id=project_id,
        snapshot=contract_snapshot(
            project_id=project_id,
            title=title,
            category=category,
            tier_id=tier_id,
            tier_name=tier_name,
            price=price,
            days=days,
            revisions=revisions,
            fee=fee,
        ),
        answers={},
        purchase_mode="instant",
        price_minor=price,
        fee_minor=fee,
        client_fee_minor=total - price,
        refunded_minor=0,
        charge_ref=f"{charge_ref_prefix}_{cid}",
        policy_version=policy.version,
        process_version=PROCESS_VERSION,
        state="completed" if done else "in_progress",
        state_entry_seq=3 if done else 1,
        last_event_seq=3 if done else 1,
        late=False,
        revisions_left=revisions,
        delivery_days=days,
        work_started_at=started,
        delivery_due_at=due,
        grace_ends_at=None,
        clock_notes={} if done else {"delivery_due": f"{days} calendar days after the purchase"},
        previous_state="",
        dispute_opened_by="",
        outcome=Outcome.COMPLETED.value if done else None,
        ending="approve" if done else None,
        fault="none" if done else None,
        counts_for_trust=done,
        paid_out_minor=total if done else 0,
        ended_at=completed_at,
        created_at=started,
        updated_at=completed_at or started,
    )
    w.add(
        Milestone,
        contract_id=cid,
        position=0,
        title=tier_name,
        amount_minor=price,
        created_at=started,
    )
    write_event(w, cid, 1, "purchase", ("client", client_id), ("new", "in_progress"), started)
    escrow_id = w.add(
        LedgerAccount,
        name=names.escrow(cid),
        kind=LedgerAccount.Kind.ESCROW.value,
        user_id=None,
        balance=0 if done else total,
        created_at=started,
    )
    entry = w.add(
        JournalEntry,
        reference=f"contract:{cid}:capture",
        memo=f"Payment for contract {cid} held in escrow",
        contract_id=cid,
        reversal_of_id=None,
        created_at=started,
    )
    w.add(Posting, entry_id=entry, account_id=world_id, amount=-total)
    w.add(Posting, entry_id=entry, account_id=escrow_id, amount=total)
    return cid, escrow_id, total


@dataclass(frozen=True, slots=True)
class _Written:
    """One side's planned feedback: public and private rating, when written, public text."""

    rating: int
    private_rating: int
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class _FeedbackPlan:
    client: _Written | None  # about the freelancer
    freelancer: _Written | None  # about the client
    published_at: datetime
    replied_at: datetime | None  # the freelancer's public reply to the client's feedback


@dataclass(frozen=True, slots=True)
class _ContractPlan:
    project_index: int
    tier_index: int
    client_index: int
    running: bool
    started: datetime
    ended: datetime  # when a completed contract was approved (unused while running)
    feedback: _FeedbackPlan | None


def _plan_feedback(
    rng: random.Random, *, ended: datetime, now: datetime, window: timedelta
) -> _FeedbackPlan | None:
    """The feedback a completed contract has by ``now``, published as the product would
    have published it: when both sides wrote, or when the window closed. A side still
    waiting for the other inside the window is left out (no timer would publish it)."""
    client_writes = rng.random() < CLIENT_FEEDBACK_SHARE
    freelancer_writes = rng.random() < FREELANCER_FEEDBACK_SHARE
    # Written within five days of the end (and before now).
    within = min(timedelta(days=5), max(now - ended, timedelta(0)))

    def written(texts: tuple[str, ...]) -> _Written:
        rating = rng.choice(RATINGS)
        private = max(1, min(5, rating + rng.choice((-1, 0, 0, 0, 1))))
        return _Written(rating, private, ended + within * rng.random(), rng.choice(texts))

    client = written(FEEDBACK_TEXTS) if client_writes else None
    freelancer = written(CLIENT_TEXTS) if freelancer_writes else None
    closes = ended + window
    if client is not None and freelancer is not None:
        published = max(client.at, freelancer.at)
    elif (client is not None or freelancer is not None) and closes <= now:
        published = closes
    else:
        return None
    replied = None
    if client is not None and rng.random() < 0.1:
        replied = min(published + timedelta(days=1), now)
    return _FeedbackPlan(client, freelancer, published, replied)


def _write_feedback(
    w: BulkWriter,
    plan: _FeedbackPlan | None,
    *,
    contract_id: int,
    client_id: int,
    freelancer_id: int,
) -> tuple[int, int] | None:
    """The contract's published feedback rows; the client's (rating, private rating)."""
    if plan is None:
        return None
    sides = (
        (plan.client, Side.CLIENT.value, client_id, freelancer_id),
        (plan.freelancer, Side.FREELANCER.value, freelancer_id, client_id),
    )
    for side, role, author, subject in sides:
        if side is None:
            continue
        reply = role == Side.CLIENT and plan.replied_at is not None
        w.add(
            Feedback,
            contract_id=contract_id,
            author_id=author,
            author_role=role,
            subject_id=subject,
            rating=side.rating,
            public_text=side.text,
            private_rating=side.private_rating,
            private_text="",
            created_at=side.at,
            published_at=plan.published_at,
            reply_text="Thank you!" if reply else "",
            replied_at=plan.replied_at if reply else None,
            removed_at=None,
            hidden_at=None,
        )
    if plan.client is None:
        return None
    return plan.client.rating, plan.client.private_rating


def _write_scores(
    w: BulkWriter,
    rows_of: dict[int, list[trust_score.ContractRow]],
    received: dict[int, list[int]],
    *,
    now: datetime,
) -> None:
    """Each freelancer's stored score as ``reviews.services.score_refresh`` stores it
    (the same formula on the same rows), and ``SCORE_POINTS`` history points."""
    for freelancer_id, rows in rows_of.items():
        breakdown = trust_score.compute(rows, now=now)
        total, count = received.get(freelancer_id, (0, 0))
        w.add(
            FreelancerScore,
            id=freelancer_id,
            user_id=freelancer_id,
            score=breakdown.score,
            clients=breakdown.clients,
            counted=len(breakdown.counted),
            rating_x100=round(total / count * 100) if count else 0,
            rating_count=count,
            jobs=len(rows),  # every seeded ended contract paid the freelancer
            breakdown=breakdown.as_json(),
            computed_at=now,
            valid_until=breakdown.valid_until,
            dirty=False,
        )
        first_end = min(r.ended_at for r in rows)
        for k in range(SCORE_POINTS):
            at = now - timedelta(days=30 * k)
            if at < first_end:
                break  # no score was computed before their first contract ended
            point = breakdown if k == 0 else trust_score.compute(rows, now=at)
            w.add(ScorePoint, user_id=freelancer_id, day=at.date(), score=point.score)


def seed_marketplace(*, config: SeedConfig, out: Callable[[str], None] = print) -> SeedReport:
    """Write the dataset described in the module docstring into the default database.

    Refuses (ValueError) when seeded users already exist, so a second run cannot mix two
    datasets; start from an empty, migrated database.
    """
    if User.objects.filter(email__endswith=f"@{SEED_EMAIL_DOMAIN}").exists():
        raise ValueError("This database already holds seeded data; seed into an empty database.")
    if config.projects and not config.freelancers:
        raise ValueError("Projects need at least one freelancer.")
    if config.contracts and not (config.clients and config.projects):
        raise ValueError("Contracts need clients and projects.")
    categories = dict(Category.objects.values_list("slug", "id"))
    missing = set(SERVICES) - set(categories)
    if missing:
        raise ValueError(f"Categories missing (run migrate first): {sorted(missing)}")
    rng = random.Random(config.seed)
    report = SeedReport()
    progress = Progress(out)
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
    w = BulkWriter(config.batch)
    if connection.vendor == "sqlite":
        # SQLite's default 2 MB page cache makes every batch re-read the unique indexes
        # (journal references, account names) from disk. A bulk load can afford 256 MB, and
        # skipping fsync is fine for a dataset that is simply re-seeded after a crash.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
            # SQLite refuses to change the safety level inside a transaction (a caller's,
            # or a test's); there the default stays.
            if not connection.in_atomic_block:
                cursor.execute("PRAGMA synchronous = OFF")

    with transaction.atomic():
        progress.step(f"users: {config.freelancers} freelancers, {config.clients} clients")
        password = make_password(SEED_PASSWORD)
        user_defaults = {
            "password": password,
            "is_superuser": False,
            "is_staff": False,
            "is_active": True,
            "bio": "",
            "is_operator": False,
            "last_login": None,
        }
        freelancers: list[int] = []
        for i in range(config.freelancers):
            uid = w.add(
                User,
                **user_defaults,
                email=seed_user_email("freelancer", i),
                display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                headline=rng.choice(["Designer", "Developer", "Writer", "Editor", "Coach"]),
                country=rng.choice(COUNTRIES),
                date_joined=now - timedelta(days=rng.randint(30, 2000)),
                # A few sellers are suspended: search and pages must keep hiding them.
                is_suspended=rng.random() < 0.005,
            )
            freelancers.append(uid)
            tz_index = rng.randrange(len(TIME_ZONES))
            start = rng.choice([7, 8, 9, 9, 10])
            w.add(
                WorkingCalendar,
                user_id=uid,
                time_zone=TIME_ZONES[tz_index],
                working_weekdays=rng.choice(WEEKS),
                work_start=dtime(start, 0),
                work_end=dtime(start + rng.choice([6, 8, 8, 9]), 0),
                holiday_country=COUNTRIES[tz_index] if i % 3 == 0 else "",
                holiday_subdivision="",
            )
            if rng.random() < 0.03:  # away today: their projects say "back on ..."
                start_day = today - timedelta(days=rng.randint(0, 5))
                w.add(
                    TimeOff,
                    user_id=uid,
                    start_date=start_day,
                    end_date=start_day + timedelta(days=rng.randint(6, 20)),
                    away=True,
                    note="Holiday",
                )
        clients: list[int] = []
        for i in range(config.clients):
            clients.append(
                w.add(
                    User,
                    **user_defaults,
                    email=seed_user_email("client", i),
                    display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    headline="",
                    country=rng.choice(COUNTRIES),
                    date_joined=now - timedelta(days=rng.randint(1, 2000)),
                    is_suspended=False,
                )
            )
        w.flush()

    progress.step(f"projects: {config.projects}")
    plans = _plan_projects(rng, config, now)
    policy = policy_in_force()
    window = timedelta(days=policy.feedback_window_days)
    # End dates and feedback draw from their own generator, so the rest of the dataset
    # (which projects sell, to whom, which contracts are still running) is what it was
    # before feedback was seeded.
    trust_rng = random.Random(f"{config.seed}:trust")
    # Contracts are planned before projects are written so each project's active_contracts
    # (the capacity counter purchases check) and its rating (from the client feedback
    # planned here) are stored right the first time.
    contract_plans: list[_ContractPlan] = []
    for _ in range(config.contracts):
        # Popular projects sell more: square the uniform draw to skew towards low indices.
        p_index = int(config.projects * rng.random() ** 2)
        plan = plans[p_index]
        tier_index = rng.randrange(len(plan.tiers))
        client_index = rng.randrange(config.clients)
        # Leave room in every project so purchases in the benchmark can still succeed.
        running = rng.random() < 0.15 and plan.running < plan.capacity - 2
        if running:
            plan.running += 1
            started = now - timedelta(days=rng.random() * 5)
        else:
            # Finished work: started after the project was listed and ended before now.
            span = max((now - plan.published_at).days - 25, 0)
            started = min(
                plan.published_at + timedelta(days=rng.random() * span),
                now - timedelta(days=plan.tiers[tier_index][2] + 4),
            )
        ended = started + timedelta(days=plan.tiers[tier_index][2] + trust_rng.random() * 3)
        feedback = (
            None if running else _plan_feedback(trust_rng, ended=ended, now=now, window=window)
        )
        if feedback is not None and feedback.client is not None:
            plan.rating_count += 1
            plan.rating_x100 += feedback.client.rating  # the sum for now; the average below
        contract_plans.append(
            _ContractPlan(p_index, tier_index, client_index, running, started, ended, feedback)
        )
    for plan in plans:
        if plan.rating_count:
            # As reviews.services stores it: the average of the shown ratings, hundredths.
            plan.rating_x100 = round(plan.rating_x100 / plan.rating_count * 100)

    project_ids: list[int] = []
    # Per project: (tier id, name, price, delivery days, revisions) for each tier.
    tiers_of: list[list[tuple[int, str, int, int, int]]] = []
    with transaction.atomic():
        for n, plan in enumerate(plans, start=1):
            pid = w.add(
                Project,
                freelancer_id=freelancers[plan.freelancer_index],
                title=plan.title,
                category_id=categories[plan.category],
                description=plan.description,
                description_html=plan.description_html,
                tags=plan.tags,
                purchase_mode="instant",
                delivery_in_working_days=False,
                capacity=plan.capacity,
                active_contracts=plan.running,
                status=ProjectStatus.PUBLISHED.value,
                review_note="",
                from_price_minor=min(t[1] for t in plan.tiers),
                min_delivery_days=min(t[2] for t in plan.tiers),
                rating_x100=plan.rating_x100,
                rating_count=plan.rating_count,
                created_at=plan.published_at - timedelta(hours=2),
                updated_at=plan.published_at,
                published_at=plan.published_at,
            )
            project_ids.append(pid)
            own = []
            for k, (name, price, days, revisions) in enumerate(plan.tiers):
                tid = w.add(
                    Tier,
                    project_id=pid,
                    position=k,
                    name=name,
                    description="",
                    price_minor=price,
                    delivery_days=days,
                    revisions=revisions,
                    deliverables=[f"{revisions} revision(s)", "final files"],
                )
                own.append((tid, name, price, days, revisions))
            tiers_of.append(own)
            for k, (title, price, days) in enumerate(plan.addons):
                w.add(
                    AddOn,
                    project_id=pid,
                    position=k,
                    title=title,
                    price_minor=price,
                    extra_delivery_days=days,
                )
            w.add(
                RequirementQuestion,
                project_id=pid,
                position=0,
                prompt="Tell me about your project.",
                kind="text",
                choices=[],
                required=False,
            )
            if n % (config.batch * 4) == 0 or n == len(plans):
                progress.bar("projects", n, len(plans))
        w.flush()

    progress.step(f"contracts, ledger and feedback: {config.contracts}")
    world = LedgerAccount.objects.get_or_create(
        name=names.WORLD, defaults={"kind": LedgerAccount.Kind.WORLD}
    )[0]
    fees = LedgerAccount.objects.get_or_create(
        name=names.PLATFORM_FEES, defaults={"kind": LedgerAccount.Kind.PLATFORM}
    )[0]
    deltas: dict[int, int] = defaultdict(int)
    available: dict[int, int] = {}
    contract_batch = max(1, config.batch // 2)
    # PostgreSQL's ledger triggers check every posting's entry at commit: a per-row cost
    # that dominates a bulk load. Like pg_restore --disable-triggers, a superuser load
    # skips them for these transactions only; ledger_check() below verifies the same
    # invariants (and more) over the whole ledger once at the end.
    skip_triggers = _is_pg_superuser()
    # What the success score reads of each freelancer's ended contracts, and the sum and
    # count of the client ratings they received (their stored rating).
    trust_rows: dict[int, list[trust_score.ContractRow]] = defaultdict(list)
    received: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for start in range(0, len(contract_plans), contract_batch):
        # One transaction per batch keeps PostgreSQL's deferred balance triggers (checked
        # at commit) and SQLite's WAL from growing without bound.
        with transaction.atomic():
            if skip_triggers:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            for cp in contract_plans[start : start + contract_batch]:
                p_index, started, ended = cp.project_index, cp.started, cp.ended
                tier_id, tier_name, price, days, revisions = tiers_of[p_index][cp.tier_index]
                freelancer_id = freelancers[plans[p_index].freelancer_index]
                client_id = clients[cp.client_index]
                done = not cp.running
                cid, escrow_id, total = write_purchase(
                    w,
                    client_id=client_id,
                    freelancer_id=freelancer_id,
                    project_id=project_ids[p_index],
                    title=plans[p_index].title,
                    category=plans[p_index].category,
                    tier=(tier_id, tier_name, price, days, revisions),
                    policy=policy,
                    started=started,
                    world_id=world.pk,
                    charge_ref_prefix="seed_ch",
                    completed_at=ended if done else None,
                )
                deltas[world.pk] -= total
                if not done:
                    continue
                delivered_at = ended - timedelta(hours=6)
                delivered = ("in_progress", "delivered")
                write_event(
                    w, cid, 2, "deliver", ("freelancer", freelancer_id), delivered, delivered_at
                )
                write_event(
                    w, cid, 3, "approve", ("client", client_id), ("delivered", "completed"), ended
                )
                if freelancer_id not in available:
                    available[freelancer_id] = w.add(
                        LedgerAccount,
                        name=names.freelancer_available(freelancer_id),
                        kind=LedgerAccount.Kind.FREELANCER_AVAILABLE.value,
                        user_id=freelancer_id,
                        balance=0,
                        created_at=ended,
                    )
                fee = percent_of(price, policy.freelancer_fee_bp)
                earned = price - fee
                to_fees = total - earned
                entry = w.add(
                    JournalEntry,
                    reference=f"contract:{cid}:release:3",
                    memo=f"Release of contract {cid} (approve)",
                    contract_id=cid,
                    reversal_of_id=None,
                    created_at=ended,
                )
                w.add(Posting, entry_id=entry, account_id=escrow_id, amount=-total)
                w.add(Posting, entry_id=entry, account_id=available[freelancer_id], amount=earned)
                deltas[available[freelancer_id]] += earned
                if to_fees:
                    w.add(Posting, entry_id=entry, account_id=fees.pk, amount=to_fees)
                    deltas[fees.pk] += to_fees
                shown = _write_feedback(
                    w,
                    cp.feedback,
                    contract_id=cid,
                    client_id=client_id,
                    freelancer_id=freelancer_id,
                )
                if shown is not None:
                    received[freelancer_id][0] += shown[0]
                    received[freelancer_id][1] += 1
                trust_rows[freelancer_id].append(
                    trust_score.ContractRow(
                        contract_id=cid,
                        title=plans[p_index].title,
                        client_id=client_id,
                        ended_at=ended,
                        ending="approve",
                        fault="none",
                        counts_for_trust=True,
                        paid_out_minor=total,
                        price_minor=price,
                        late=False,
                        rating=shown[0] if shown else None,
                        private_rating=shown[1] if shown else None,
                    )
                )
            # Parents before children: flush in foreign-key order.
            for model in (
                Contract,
                Milestone,
                ContractEvent,
                LedgerAccount,
                JournalEntry,
                Posting,
                Feedback,
            ):
                w.flush(model)
        done_count = min(start + contract_batch, len(contract_plans))
        if done_count % (contract_batch * 10) == 0 or done_count == len(contract_plans):
            progress.bar("contracts", done_count, len(contract_plans))

    progress.step(f"success scores: {len(trust_rows)} freelancers with ended contracts")
    with transaction.atomic():
        _write_scores(w, trust_rows, received, now=now)
        w.flush()

    with transaction.atomic():
        # Stored balances: escrow accounts were written with theirs; the shared and
        # freelancer accounts get the sums of exactly the postings written above.
        for pk, delta in deltas.items():
            LedgerAccount.objects.filter(pk=pk).update(balance=models.F("balance") + delta)
        w.finish()
    report.rows.update({label.split(".")[1]: n for label, n in w.written.items()})

    progress.step("search index: reindex_all()")
    report.rows["indexed"] = reindex_all()

    # VACUUM cannot run inside a transaction (a caller's, or a test's); ANALYZE can.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    progress.step(("VACUUM " if vacuum else "") + "ANALYZE: statistics for the new rows")
    # Bulk-loaded tables have no statistics until autovacuum gets to them (PostgreSQL) or
    # ever (SQLite); without them the planner guesses join orders on a 100k catalog.
    # On PostgreSQL, VACUUM also marks the freshly written pages all-visible: until then an
    # index-only scan must visit the table for every entry, and a two-word search of
    # common words took 45 ms instead of 7 (a few seconds here; autovacuum would get
    # there too, but later than a benchmark started right after the seed).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")

    if config.check_ledger:
        progress.step("ledger check")
        report.ledger_problems = ledger_check()
    progress.step("done: " + ", ".join(f"{k}={v}" for k, v in report.rows.items()))
    report.seconds["total"] = time.monotonic() - progress.started
    return report


def _is_pg_superuser() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


__all__ = ["SEED_EMAIL_DOMAIN", "SEED_PASSWORD", "SeedConfig", "SeedReport", "seed_marketplace"]
