"""The catalog: projects a freelancer sells, with their tiers, add-ons and questions.

Rows here are the *current* offer. A contract copies what it bought (a snapshot), so
editing a project never changes the terms of contracts already sold.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Category(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class PurchaseMode(models.TextChoices):
    INSTANT = "instant", "Instant buy"
    REQUEST = "request", "Request to buy"


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Waiting for review"
    PUBLISHED = "published", "Published"
    PAUSED = "paused", "Paused"
    ARCHIVED = "archived", "Archived"


class Project(models.Model):
    freelancer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="projects"
    )
    title = models.CharField(max_length=120)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="projects")
    # Markdown as written by the freelancer; ``description_html`` is the sanitised render.
    description = models.TextField(max_length=20_000)
    description_html = models.TextField(blank=True, editable=False)
    tags = models.JSONField(default=list, blank=True)
    purchase_mode = models.CharField(
        max_length=10, choices=PurchaseMode.choices, default=PurchaseMode.INSTANT
    )
    # Delivery days count the freelancer's working days unless the project says calendar
    # days. The default was calendar days until issue 10; rows keep what they stored.
    delivery_in_working_days = models.BooleanField(default=True)
    capacity = models.PositiveIntegerField(default=20)
    # Contracts currently running on this project. Purchases take a slot with a
    # conditional UPDATE (active_contracts < capacity) so capacity holds under races.
    active_contracts = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=20, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT, db_index=True
    )
    review_note = models.CharField(max_length=500, blank=True)

    # Denormalised for browsing: kept by catalog.services whenever tiers change.
    from_price_minor = models.PositiveIntegerField(default=0)
    min_delivery_days = models.PositiveSmallIntegerField(default=0)
    # Ratings arrive with the trust layer; stored as hundredths (485 = 4.85 stars).
    rating_x100 = models.PositiveSmallIntegerField(default=0)
    rating_count = models.PositiveIntegerField(default=0)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "published_at"]),
            models.Index(fields=["status", "from_price_minor"]),
            models.Index(fields=["freelancer", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def capacity_full(self) -> bool:
        return self.active_contracts >= self.capacity


class Tier(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tiers")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=40)
    description = models.CharField(max_length=300, blank=True)
    price_minor = models.PositiveIntegerField()
    delivery_days = models.PositiveSmallIntegerField()
    revisions = models.PositiveSmallIntegerField(default=1)
    deliverables = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.project_id}/{self.name}"


class AddOn(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="addons")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=120)
    price_minor = models.PositiveIntegerField()
    # Signed: an express add-on shortens delivery (catalog.services bounds it; a purchase
    # never gets fewer than 1 day, see contracts.deadlines.purchase_delivery_days).
    extra_delivery_days = models.SmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    TEXT = "text", "Free text"
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    FILE = "file", "File"


class RequirementQuestion(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    prompt = models.CharField(max_length=300)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices, default=QuestionKind.TEXT)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.prompt


class FaqEntry(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="faq")
    position = models.PositiveSmallIntegerField(default=0)
    question = models.CharField(max_length=200)
    answer = models.TextField(max_length=2000)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.question


def gallery_upload_to(instance: GalleryImage, filename: str) -> str:
    return f"gallery/{instance.project_id}/{filename}"


class GalleryImage(models.Model):
    """An image already validated, re-encoded and resized by catalog.images."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gallery")
    position = models.PositiveSmallIntegerField(default=0)
    image = models.ImageField(
        upload_to=gallery_upload_to, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt_text or str(self.image.name)


class SearchPosting(models.Model):
    """One term of one published project: the search index (see ``catalog.search``).

    Written only by ``catalog.search.index``. Each row carries, next to the term, the
    columns that search filters and sorts on, copied from the project, so a query is
    answered from this table's index alone: the best page for a word found in 19,000
    projects is the first 25 entries of the (term, points, listed_at, id) index instead
    of 19,000 matches joined to their projects and ranked. The copies are refreshed by
    ``index_project`` after every write that changes them; live facts (the freelancer's
    standing, capacity left, away mode) are checked against their own tables at query time.

    No foreign key to the project: rows are replaced wholesale by ``index_project`` and a
    stale row of a deleted project is harmless (results are re-read from ``Project``).
    """

    pk = models.CompositePrimaryKey("project_id", "term")
    project_id = models.BigIntegerField()
    term = models.CharField(max_length=64)  # a stemmed token (search.text.stem)
    # 3 if the term is in the title, + 2 in the tags, + 1 in the description.
    points = models.PositiveSmallIntegerField()
    freelancer_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    listed_at = models.DateTimeField()
    from_price_minor = models.PositiveIntegerField()
    min_delivery_days = models.PositiveSmallIntegerField()
    rating_x100 = models.PositiveSmallIntegerField()
    rating_count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            # The relevance order for one term, then every other column, so that any
            # sort or filter on one term is an index-only scan on both databases.
            models.Index(
                fields=[
                    "term",
                    "-points",
                    "-listed_at",
                    "-project_id",
                    "from_price_minor",
                    "rating_x100",
                    "rating_count",
                    "category_id",
                    "min_delivery_days",
                    "freelancer_id",
                ],
                name="catalog_posting_rank",
            ),
            # The other sorts, so that the best page for a common word under any sort is
            # a walk of ~25 entries, not a sort of every project that has the word.
            models.Index(
                fields=["term", "from_price_minor", "project_id"], name="catalog_posting_price"
            ),
            models.Index(
                fields=["term", "-listed_at", "-project_id"], name="catalog_posting_newest"
            ),
            models.Index(
                fields=["term", "-rating_x100", "-rating_count", "-project_id"],
                name="catalog_posting_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}:{self.term}"


def posting_indexes(vendor: str) -> list[models.Index]:
    """The indexes of ``SearchPosting`` on a database of this vendor (the same on both
    since the SQLite-only probe index went with the join it served, migration 0008)."""
    return list(SearchPosting._meta.indexes)


class SearchWord(models.Model):
    """A word some published project has (folded, not stemmed), with its stemmed term.

    What a query word is looked up in when it is not a term itself: prefixes as typed
    ("photog" -> photography), typo corrections ("illustator" -> illustrator) and the words
    "did you mean" shows. Written by ``catalog.search.index``; words are added as projects
    are indexed and only dropped by ``reindex_all`` (a word no project has any more leads
    to a term with no postings, which finds nothing).
    """

    word = models.CharField(max_length=64, primary_key=True)
    term = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.word


class SearchTrigram(models.Model):
    """The three-letter pieces of each ``SearchWord`` (padded: "  l", " lo", "log", …),
    with the word's length: words one typo away from a query word share most of its
    trigrams and are at most one letter longer or shorter (``search.spelling``)."""

    pk = models.CompositePrimaryKey("trigram", "length", "word")
    trigram = models.CharField(max_length=3)
    length = models.PositiveSmallIntegerField()
    word = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.trigram}:{self.word}"


class SearchSynonym(models.Model):
    """Words that mean the same to people searching ("wp, wordpress"); operators edit the
    list (Django admin). A search for any of them also finds the others, ranked a little
    below the word typed. One word per entry: spellings of compounds ("voice over" /
    "voiceover") need no entry, search joins neighbouring words itself."""

    words = models.CharField(
        max_length=300, help_text="Two or more single words separated by commas."
    )
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["words"]

    def __str__(self) -> str:
        return self.words
