"""A deterministic, realistic marketplace at scale, written with bulk inserts.

The domain services create one object per call with its checks and side effects; at
hundreds of thousands of rows that would take hours. This module writes the same rows the
services would (same fields, same ledger shape) in bulk batches (``BulkWriter``), and then
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
import operator
import queue
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from fairlance.accounts.models import TimeOff, User, WorkingCalendar
from fairlance.bench import cpu
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
# The prefix of the seed's last line: rows written and times (see ``Progress``) as JSON.
REPORT_LINE = "seed report: "
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
    # Wall seconds per step (``Progress``) and in total.
    seconds: dict[str, float] = field(default_factory=dict)
    # Per step: wall, Python CPU and database server CPU seconds.
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
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
    """Multi-row inserts with primary keys allocated here, one ``COPY`` or ``executemany``
    per batch.

    ``bulk_create`` spends ~15 µs per field value compiling SQL and building model
    instances: at 3.5 million rows that alone is past the five-minute budget. Rows here are
    plain dicts keyed by attribute name (``freelancer_id``), turned into tuples by one
    ``itemgetter`` per table (a row that leaves fields out gets their defaults), and ids
    are taken from ``MAX(id) + 1`` so children can point at parents without a RETURNING
    round trip. ``finish()`` moves PostgreSQL's sequences past the ids used (SQLite's
    AUTOINCREMENT follows by itself).

    On PostgreSQL the batches go to a ``_CopyPipe``: the server loads one batch while this
    process builds the next, so the two cores work at once. Anything else that talks to
    the database (a query, a commit) must ``drain()`` first; ``flush()`` without a model
    does.
    """

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.pending: dict[type[models.Model], list[dict[str, Any]]] = defaultdict(list)
        self.next_ids: dict[type[models.Model], int] = {}
        self.written: dict[str, int] = defaultdict(int)
        self.plans: dict[type[models.Model], _TablePlan] = {}
        self.pipe = _CopyPipe() if connection.vendor == "postgresql" else None

    def new_id(self, model: type[models.Model]) -> int:
        if model not in self.next_ids:
            self.drain()
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

    def _plan(self, model: type[models.Model]) -> _TablePlan:
        if model not in self.plans:
            self.plans[model] = _TablePlan.of(model)
        return self.plans[model]

    def flush(self, model: type[models.Model] | None = None) -> None:
        """Write the pending rows of ``model`` (on PostgreSQL: start writing them), or of
        every model and wait until all is written."""
        for m in [model] if model is not None else list(self.pending):
            rows = self.pending.pop(m, [])
            if not rows:
                continue
            plan = self._plan(m)
            values = [plan.values(r) for r in rows]
            if self.pipe is not None:
                self.pipe.submit(plan.copy_sql, values)
            else:
                with connection.cursor() as cursor:
                    cursor.executemany(plan.insert_sql, values)
            self.written[m._meta.label] += len(rows)
        if model is None:
            self.drain()

    def drain(self) -> None:
        """Wait until every batch handed to the database is written (raising its error)."""
        if self.pipe is not None:
            self.pipe.drain()

    def finish(self) -> None:
        self.flush()
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.next_ids))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def close(self) -> None:
        if self.pipe is not None:
            self.pipe.close()


@dataclass(frozen=True)
class _TablePlan:
    """How rows of one model become the parameters of its INSERT or COPY."""

    insert_sql: str
    copy_sql: str
    width: int
    keys: Callable[[dict[str, Any]], tuple[Any, ...]]
    # A default for each field a row may leave out, and a conversion per column position.
    fill: tuple[tuple[str, Callable[[], Any]], ...]
    convert: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, model: type[models.Model]) -> _TablePlan:
        ops = connection.ops
        fields = model._meta.concrete_fields
        columns = ", ".join(ops.quote_name(str(f.column)) for f in fields)
        # Table and column names come from the model, quoted; values are bound parameters.
        table = ops.quote_name(model._meta.db_table)
        marks = ", ".join(["%s"] * len(fields))
        convert = [(i, c) for i, f in enumerate(fields) if (c := _conversion(f)) is not None]
        return cls(
            insert_sql=f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
            copy_sql=f"COPY {table} ({columns}) FROM STDIN",
            width=len(fields),
            keys=operator.itemgetter(*(f.attname for f in fields)),
            fill=tuple((f.attname, _fallback(f)) for f in fields),
            convert=tuple(convert),
        )

    def values(self, row: dict[str, Any]) -> tuple[Any, ...]:
        if len(row) < self.width:
            for key, default in self.fill:
                if key not in row:
                    row[key] = default()
        values = self.keys(row)
        if not self.convert:
            return values
        out = list(values)
        for i, conversion in self.convert:
            out[i] = conversion(out[i])
        return tuple(out)


def _fallback(f: Any) -> Callable[[], Any]:
    """The value of field ``f`` for a row that does not give one."""
    if f.has_default():
        default = f.default
        return default if callable(default) else (lambda: default)
    if f.null:
        return lambda: None
    return lambda: ""


def _conversion(f: Any) -> Callable[[Any], Any] | None:
    """How the database takes a Python value of field ``f`` (None: as it is)."""
    if isinstance(f, models.JSONField):
        return json.dumps
    if connection.vendor == "postgresql":
        return None  # psycopg formats dates and times itself (Django's adapters pass them)
    ops = connection.ops
    if isinstance(f, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(f, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(f, models.TimeField):
        return ops.adapt_timefield_value
    return None


class _CopyPipe:
    """COPY batches run by a background thread on the seed's PostgreSQL connection.

    The thread sends a batch and waits for the server to load it while the main thread
    builds the next one; at most two batches wait, which bounds memory. The batches run in
    the caller's open transaction, in the order given. psycopg's connection lock keeps
    any other statement from interleaving with a COPY, and ``drain()`` before a commit or a
    query makes sure nothing is still on its way.
    """

    def __init__(self) -> None:
        connection.ensure_connection()
        self.raw = connection.connection
        self.queue: queue.Queue[tuple[str, list[tuple[Any, ...]]] | None] = queue.Queue(2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="seed-copy", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (item := self.queue.get()) is not None:
            sql, rows = item
            try:
                if self.error is None:  # after a failure the transaction is lost anyway
                    with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                        for row in rows:
                            copy.write_row(row)
            except BaseException as exc:  # handed to the main thread
                self.error = exc
            finally:
                self.queue.task_done()
        self.queue.task_done()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def submit(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self._raise()
        self.queue.put((sql, rows))

    def drain(self) -> None:
        self.queue.join()
        self._raise()

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()


class Progress:
    """Prints the seed's steps and times each: wall clock, this process's CPU and, on
    PostgreSQL, the CPU of the server process serving this connection (read from Linux's
    ``/proc``; parallel index-build workers are not counted). Which side a step waits on
    is what says where a larger seed's time goes."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.started = time.monotonic()
        self.steps: dict[str, dict[str, float]] = {}
        self._current: tuple[str, float, float, float] | None = None
        self._backend = _backend_pid()

    def _database_seconds(self) -> float:
        return cpu.process_seconds(self._backend) if self._backend else 0.0

    def step(self, key: str, message: str) -> None:
        """Start step ``key`` (closing the one before) and print ``message``."""
        self.close()
        now = time.monotonic()
        self._current = (key, now, time.process_time(), self._database_seconds())
        self.out(f"[{now - self.started:6.1f}s] {message}")

    def close(self) -> None:
        if self._current is None:
            return
        key, wall, python, database = self._current
        self.steps[key] = {
            "wall": round(time.monotonic() - wall, 1),
            "python": round(time.process_time() - python, 1),
            "database": round(self._database_seconds() - database, 1),
        }
        self._current = None

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
    w = BulkWriter(config.batch)
    try:
        return _seed(config, w, categories, Progress(out))
    finally:
        w.close()


def _seed(
    config: SeedConfig, w: BulkWriter, categories: dict[str, int], progress: Progress
) -> SeedReport:
    rng = random.Random(config.seed)
    report = SeedReport()
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate()
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

    # PostgreSQL's foreign-key checks and ledger triggers run per row at commit: a cost
    # that dominates a bulk load (the deferred foreign-key checks of the projects' tiers,
    # add-ons and questions alone were ~5 s per 100k projects at the commit). Like
    # pg_restore --disable-triggers, a superuser load skips them for its own transactions;
    # ids come from the rows just written, SQLite (which keeps its checks) runs the same
    # code in the tests, and ledger_check() verifies the ledger's invariants (and more)
    # over the whole ledger once at the end.
    skip_triggers = _is_pg_superuser()
    with _bulk_transaction(skip_triggers):
        progress.step("users", f"users: {config.freelancers} freelancers, {config.clients} clients")
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

    progress.step("projects", f"projects: {config.projects}")
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
    with _bulk_transaction(skip_triggers):
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

    progress.step("contracts", f"contracts, ledger and feedback: {config.contracts}")
    world = LedgerAccount.objects.get_or_create(
        name=names.WORLD, defaults={"kind": LedgerAccount.Kind.WORLD}
    )[0]
    fees = LedgerAccount.objects.get_or_create(
        name=names.PLATFORM_FEES, defaults={"kind": LedgerAccount.Kind.PLATFORM}
    )[0]
    deltas: dict[int, int] = defaultdict(int)
    available: dict[int, int] = {}
    contract_batch = max(1, config.batch // 2)
    # What the success score reads of each freelancer's ended contracts, and the sum and
    # count of the client ratings they received (their stored rating).
    trust_rows: dict[int, list[trust_score.ContractRow]] = defaultdict(list)
    received: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for start in range(0, len(contract_plans), contract_batch):
        # One transaction per batch keeps SQLite's WAL (and PostgreSQL's deferred
        # triggers, when they run) from growing without bound.
        with _bulk_transaction(skip_triggers):
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
            w.drain()  # before the commit
        done_count = min(start + contract_batch, len(contract_plans))
        if done_count % (contract_batch * 10) == 0 or done_count == len(contract_plans):
            progress.bar("contracts", done_count, len(contract_plans))

    progress.step("scores", f"success scores: {len(trust_rows)} freelancers with ended contracts")
    with _bulk_transaction(skip_triggers):
        _write_scores(w, trust_rows, received, now=now)
        w.flush()

    with transaction.atomic():
        # Stored balances: escrow accounts were written with theirs; the shared and
        # freelancer accounts get the sums of exactly the postings written above.
        _add_to_balances(deltas)
        w.finish()
    report.rows.update({label.split(".")[1]: n for label, n in w.written.items()})

    report.rows["indexed"] = index_and_analyze(progress)

    if config.check_ledger:
        progress.step("ledger_check", "ledger check")
        report.ledger_problems = ledger_check()
    progress.close()
    report.seconds = {key: times["wall"] for key, times in progress.steps.items()}
    report.seconds["total"] = round(time.monotonic() - progress.started, 1)
    report.steps = progress.steps
    progress.out("done: " + ", ".join(f"{k}={v}" for k, v in report.rows.items()))
    # One line a caller can parse (``fairlance bench --scale`` keeps it with its results).
    summary = {"rows": report.rows, "seconds": report.seconds["total"], "steps": report.steps}
    progress.out(REPORT_LINE + json.dumps(summary))
    return report


def index_and_analyze(progress: Progress) -> int:
    """Rebuild the search index and give the planner statistics (steps ``search_index``
    and ``analyze``); returns how many projects are indexed. The seed's last steps, and
    ``fairlance bench --reindex`` alone."""
    progress.step("search_index", "search index: reindex_all()")
    indexed = reindex_all()
    # VACUUM cannot run inside a transaction (a caller's, or a test's); ANALYZE can.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    progress.step("analyze", ("VACUUM " if vacuum else "") + "ANALYZE: statistics for the new rows")
    # Bulk-loaded tables have no statistics until autovacuum gets to them (PostgreSQL) or
    # ever (SQLite); without them the planner guesses join orders on a 100k catalog.
    # On PostgreSQL, VACUUM also marks the freshly written pages all-visible: until then an
    # index-only scan must visit the table for every entry, and a two-word search of
    # common words took 45 ms instead of 7 (a few seconds here; autovacuum would get
    # there too, but later than a benchmark started right after the seed).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    return indexed


@contextmanager
def _bulk_transaction(skip_triggers: bool) -> Iterator[None]:
    """One transaction of the load, without triggers if ``skip_triggers`` (PostgreSQL, as
    a superuser: ``session_replication_role = replica``, which also skips foreign-key
    checks). Rows written this way never queue a check; the role is put back before the
    commit so a caller's enclosing transaction (a test's) runs its own writes checked."""
    with transaction.atomic():
        if skip_triggers:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        yield
        if skip_triggers:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")


def _add_to_balances(deltas: dict[int, int]) -> None:
    """Add ``deltas`` (account id -> amount) to the accounts' stored balances.

    One statement for all of them on PostgreSQL: an UPDATE per account was a round trip
    for each of the tens of thousands of freelancers' accounts."""
    table = connection.ops.quote_name(LedgerAccount._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS a SET balance = a.balance + d.delta"  # noqa: S608
                " FROM unnest(%s::bigint[], %s::bigint[]) AS d(id, delta) WHERE a.id = d.id",
                [list(deltas), list(deltas.values())],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET balance = balance + %s WHERE id = %s",  # noqa: S608
                [(delta, pk) for pk, delta in deltas.items()],
            )


def _backend_pid() -> int | None:
    """The PostgreSQL server process serving this connection (None on SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _is_pg_superuser() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


__all__ = [
    "REPORT_LINE",
    "SEED_EMAIL_DOMAIN",
    "SEED_PASSWORD",
    "SeedConfig",
    "SeedReport",
    "index_and_analyze",
    "seed_marketplace",
]
