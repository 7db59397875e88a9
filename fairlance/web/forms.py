"""Web forms. They only parse and shape input; every business rule lives in the services.

Prices are typed by people in major units ("120" or "120.50") and converted here to integer
minor units with ``Decimal`` arithmetic, never floats. Rule violations come back from the
services as ``InvalidInput`` and are attached to the fields by ``attach_errors``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms

from fairlance.accounts import places
from fairlance.accounts.models import Weekday
from fairlance.catalog import images
from fairlance.catalog.inputs import AddOnInput, FaqInput, QuestionInput, TierInput
from fairlance.catalog.models import PurchaseMode, QuestionKind
from fairlance.catalog.selectors import categories_cached
from fairlance.catalog.services import (
    CAPACITY_MAX,
    CAPACITY_MIN,
    DELIVERY_MAX,
    DELIVERY_MIN,
    EXTRA_DAYS_MAX,
    EXTRA_DAYS_MIN,
    PRICE_MAX,
    PRICE_MIN,
    REVISIONS_MAX,
    REVISIONS_MIN,
    TITLE_MAX,
    TITLE_MIN,
)
from fairlance.core.errors import FairlanceError
from fairlance.core.money import (
    CURRENCY_SYMBOLS,
    MAX_PRICE_MINOR,
    MINOR_PER_MAJOR,
    currency,
    format_minor,
)

MAX_TIERS = 3
ADDON_ROWS = 3
QUESTION_ROWS = 3
FAQ_ROWS = 3


def currency_symbol() -> str:
    return CURRENCY_SYMBOLS.get(currency(), currency())


def to_minor(value: Decimal | None) -> int | None:
    if value is None:
        return None
    return int((value * MINOR_PER_MAJOR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(minor: int | None) -> Decimal | None:
    if minor is None:
        return None
    return (Decimal(minor) / MINOR_PER_MAJOR).quantize(Decimal("0.01"))


class PriceField(forms.DecimalField):
    """An amount typed in major units with at most two decimals.

    ``min_minor`` and ``max_minor`` are the bounds the service enforces, in minor units:
    the input carries them as its HTML ``min`` and ``max``, and every error says them the
    way people read prices ("Enter an amount between $1 and $1,000,000."), never in cents.
    """

    def __init__(self, *, min_minor: int = 0, max_minor: int = MAX_PRICE_MINOR, **kwargs: Any):
        words = f"Enter an amount between {format_minor(min_minor)} and {format_minor(max_minor)}."
        kwargs.setdefault("min_value", to_major(min_minor))
        kwargs.setdefault("max_value", to_major(max_minor))
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("max_digits", 12)
        kwargs["error_messages"] = {
            **{
                code: words
                for code in (
                    "invalid",
                    "min_value",
                    "max_value",
                    "max_digits",
                    "max_decimal_places",
                    "max_whole_digits",
                    "step_size",
                )
            },
            **kwargs.get("error_messages", {}),
        }
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


def parse_amount(text: str) -> int | None:
    """An amount typed by a person ("12.50", "$12.50", "12") in minor units, else ``None``.

    For inputs whose bounds only the domain knows (a partial refund's depends on the
    contract): the domain function then refuses ``None`` with the bounds in words.
    """
    raw = (text or "").strip().removeprefix(currency_symbol()).strip()
    try:
        return to_minor(PriceField(required=False).clean(raw))
    except forms.ValidationError:
        return None


class ChoicesForm(forms.Form):
    """A form whose choice lists come from the database at render time."""

    def choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field


# ---- Search ---------------------------------------------------------------------------

SORT_CHOICES = [
    ("relevance", "Best match"),
    ("newest", "Newest"),
    ("price", "Price: low to high"),
    ("-price", "Price: high to low"),
    ("rating", "Top rated"),
]
RATING_CHOICES = [
    ("", "Any rating"),
    ("450", "4.5 ★ & up"),
    ("400", "4 ★ & up"),
    ("300", "3 ★ & up"),
]
DELIVERY_CHOICES = [
    ("", "Any time"),
    ("1", "Up to 1 day"),
    ("3", "Up to 3 days"),
    ("7", "Up to 7 days"),
    ("14", "Up to 14 days"),
]


class SearchForm(ChoicesForm):
    q = forms.CharField(required=False, max_length=200, label="Search")
    category = forms.ChoiceField(required=False, label="Category")
    min_price = PriceField(required=False, label="Min price")
    max_price = PriceField(required=False, label="Max price")
    max_delivery_days = forms.TypedChoiceField(
        required=False,
        choices=DELIVERY_CHOICES,
        coerce=int,
        empty_value=None,
        label="Delivery time",
    )
    min_rating = forms.TypedChoiceField(
        required=False, choices=RATING_CHOICES, coerce=int, empty_value=None, label="Rating"
    )
    available = forms.BooleanField(required=False, label="Available now")
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort by")
    cursor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("category").choices = [("", "All categories")] + [
            (c.slug, c.name) for c in categories_cached()
        ]
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["placeholder"] = "What do you need done?"

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "Must be at least the minimum price.")
        return data


# ---- Project editor -------------------------------------------------------------------


class ProjectForm(ChoicesForm):
    title = forms.CharField(
        min_length=TITLE_MIN,
        max_length=TITLE_MAX,
        label="Title",
        help_text="Say what the client gets, e.g. “A hand-drawn logo with 3 concepts”.",
    )
    category_slug = forms.ChoiceField(label="Category")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20_000,
        label="Description",
        help_text="Markdown is supported: **bold**, lists, links.",
    )
    tags = forms.CharField(
        required=False,
        max_length=300,
        label="Tags",
        help_text="Comma separated, e.g. logo, branding",
    )
    purchase_mode = forms.ChoiceField(
        choices=PurchaseMode.choices,
        label="How clients buy",
        help_text="“Request to buy” lets you read the brief and the client’s history before accepting.",  # noqa: RUF001
    )
    delivery_in_working_days = forms.BooleanField(
        required=False,
        label="Count delivery days as my working days",
        help_text="Weekends, your public holidays and time off are skipped. Untick it to "
        "count calendar days.",
    )
    capacity = forms.IntegerField(
        required=False,
        min_value=CAPACITY_MIN,
        max_value=CAPACITY_MAX,
        label="Capacity",
        help_text="Most contracts you run at once on this project.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("category_slug").choices = [("", "Choose a category")] + [
            (c.slug, c.name) for c in categories_cached()
        ]

    def tag_list(self) -> tuple[str, ...]:
        raw = self.cleaned_data.get("tags") or ""
        return tuple(t.strip() for t in raw.split(",") if t.strip())


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


class TierForm(forms.Form):
    # The bounds are the catalog service's, so the inputs never offer what it refuses.
    name = forms.CharField(max_length=40, required=False, label="Name")
    price = PriceField(min_minor=PRICE_MIN, max_minor=PRICE_MAX, required=False, label="Price")
    delivery_days = forms.IntegerField(
        required=False, min_value=DELIVERY_MIN, max_value=DELIVERY_MAX, label="Delivery days"
    )
    revisions = forms.IntegerField(
        required=False,
        min_value=REVISIONS_MIN,
        max_value=REVISIONS_MAX,
        initial=1,
        label="Revisions",
    )
    deliverables = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Deliverables",
        help_text="One per line",
    )
    description = forms.CharField(required=False, max_length=300, label="Short description")

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (
            data.get("name")
            or data.get("price") is not None
            or data.get("delivery_days") is not None
        )

    def to_input(self) -> TierInput:
        data = self.cleaned_data
        return TierInput(
            name=data.get("name") or "",
            price_minor=to_minor(data.get("price")) or 0,
            delivery_days=data.get("delivery_days") or 0,
            revisions=1 if data.get("revisions") is None else int(data["revisions"]),
            deliverables=_lines(data.get("deliverables") or ""),
            description=data.get("description") or "",
        )


class AddOnForm(forms.Form):
    title = forms.CharField(max_length=120, required=False, label="Add-on")
    price = PriceField(min_minor=PRICE_MIN, max_minor=PRICE_MAX, required=False, label="Price")
    # The bounds are the service's (one rule, one place): the browser offers them as the
    # input's min/max and the service's error, in words, is shown if they are not kept.
    extra_delivery_days = forms.IntegerField(
        required=False,
        label="Extra days",
        help_text=f"From {EXTRA_DAYS_MIN} to {EXTRA_DAYS_MAX}: days this add-on adds to "
        "delivery; a negative number shortens it (-2 for an express add-on). A purchase "
        "always gets at least 1 day.",
        widget=forms.NumberInput(attrs={"min": EXTRA_DAYS_MIN, "max": EXTRA_DAYS_MAX, "step": 1}),
    )

    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("title") or self.cleaned_data.get("price") is not None)

    def to_input(self) -> AddOnInput:
        data = self.cleaned_data
        return AddOnInput(
            title=data.get("title") or "",
            price_minor=to_minor(data.get("price")) or 0,
            extra_delivery_days=data.get("extra_delivery_days") or 0,
        )


class QuestionForm(forms.Form):
    prompt = forms.CharField(max_length=300, required=False, label="Question")
    kind = forms.ChoiceField(choices=QuestionKind.choices, required=False, label="Answer type")
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Choices",
        help_text="One per line, for choice questions",
    )
    required = forms.BooleanField(required=False, initial=True, label="Required")

    def is_blank(self) -> bool:
        return not self.cleaned_data.get("prompt")

    def to_input(self) -> QuestionInput:
        data = self.cleaned_data
        return QuestionInput(
            prompt=data.get("prompt") or "",
            kind=data.get("kind") or "text",
            choices=_lines(data.get("choices") or ""),
            required=bool(data.get("required")),
        )


class FaqForm(forms.Form):
    question = forms.CharField(max_length=200, required=False, label="Question")
    answer = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Answer"
    )

    def is_blank(self) -> bool:
        return not (self.cleaned_data.get("question") or self.cleaned_data.get("answer"))

    def to_input(self) -> FaqInput:
        return FaqInput(
            question=self.cleaned_data.get("question") or "",
            answer=self.cleaned_data.get("answer") or "",
        )


TierFormSet = forms.formset_factory(
    TierForm, extra=0, max_num=MAX_TIERS, absolute_max=MAX_TIERS, validate_max=True
)
AddOnFormSet = forms.formset_factory(
    AddOnForm, extra=0, max_num=10, absolute_max=10, validate_max=True
)
QuestionFormSet = forms.formset_factory(
    QuestionForm, extra=0, max_num=10, absolute_max=10, validate_max=True
)
FaqFormSet = forms.formset_factory(FaqForm, extra=0, max_num=10, absolute_max=10, validate_max=True)


def rows_of(formset: forms.BaseFormSet) -> list[Any]:
    """The filled-in rows of a formset (blank rows are the "add another" slots)."""
    return [f for f in formset.forms if not f.is_blank()]


class GalleryForm(forms.Form):
    # A plain file field: every rule about the image (type, bytes, pixels) is
    # ``catalog.images``', checked once by the service. Django's ImageField would open it
    # with Pillow first and call an image that is too large "not a valid image".
    upload = forms.FileField(
        label="Image",
        help_text=(
            f"JPEG, PNG or WebP, up to {images.MAX_UPLOAD_BYTES // (1024 * 1024)} MB "
            f"and {images.MAX_PIXELS_TEXT}."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt_text = forms.CharField(
        max_length=200,
        required=False,
        label="Describe the image",
        help_text="For people who cannot see it.",
    )


# ---- Settings -------------------------------------------------------------------------


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=80, required=False, label="Display name")
    headline = forms.CharField(
        max_length=140,
        required=False,
        label="Headline",
        help_text="One line clients see under your name.",
    )
    bio = forms.CharField(
        max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 6}), label="About you"
    )
    # The lists below are what the services accept (``accounts.places``); the form only
    # offers them, and the services refuse anything else with a message for the field.
    country = forms.CharField(max_length=2, required=False, label="Country")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].widget = forms.Select(
            choices=[("", "Not shown"), *places.country_choices()]
        )


class CalendarForm(forms.Form):
    time_zone = forms.CharField(
        max_length=64,
        label="Time zone",
        help_text="The city whose clock you keep; UTC if you prefer no daylight saving.",
    )
    working_weekdays = forms.TypedMultipleChoiceField(
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        label="Working days",
        required=False,
    )
    work_start = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), label="Work starts"
    )
    work_end = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), label="Work ends"
    )
    holiday_country = forms.CharField(
        max_length=2,
        required=False,
        label="Public holidays of",
        help_text="Your clocks skip this country's public holidays; choose none to work "
        "through them.",
    )
    holiday_subdivision = forms.CharField(
        max_length=50,
        required=False,
        label="Region",
        help_text="Adds the public holidays of your region of that country.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Selects over the lists the services accept (``accounts.places``); a value from
        # elsewhere reaches the service, which refuses it with a message for the field.
        self.fields["time_zone"].widget = forms.Select(choices=places.time_zone_choices())
        self.fields["holiday_country"].widget = forms.Select(
            choices=[
                ("", "None: I work through public holidays"),
                *places.holiday_country_choices(),
            ]
        )
        self.fields["holiday_subdivision"].widget = forms.Select(
            choices=[("", "The whole country"), *places.holiday_subdivision_choices()]
        )


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label="Label",
        help_text="What the token is for, e.g. “invoice script”, so you know which to revoke.",
    )


class TimeOffForm(forms.Form):
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="From")
    end_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label="To (inclusive)"
    )
    away = forms.BooleanField(
        required=False, initial=True, label="Away mode: pause purchases of all my projects"
    )
    note = forms.CharField(
        max_length=140, required=False, label="Note", help_text="Only you see this."
    )


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    note = forms.CharField(max_length=500, required=False, label="Note to the freelancer")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", "Tell the freelancer what to change.")
        return data


# ---- Mapping domain errors onto forms -------------------------------------------------


def attach_errors(
    exc: FairlanceError,
    form: forms.Form,
    formsets: dict[str, tuple[forms.BaseFormSet, list[Any]]] | None = None,
    renames: dict[str, str] | None = None,
) -> None:
    """Put each ``InvalidInput`` field error next to its field.

    Service paths look like ``title`` or ``tiers.1.price_minor``; ``formsets`` maps the list
    name to (formset, the rows that were sent) so index 1 lands on the second *filled* row.
    Anything that does not match a field becomes a form-wide error, so nothing is lost.
    """
    renames = {"price_minor": "price", "category": "category_slug", **(renames or {})}
    formsets = formsets or {}
    if not exc.errors:
        form.add_error(None, exc.detail)
        return
    for err in exc.errors:
        path = str(err.get("field") or "").split(".")
        message = str(err.get("message") or exc.detail)
        head = renames.get(path[0], path[0])
        if head in formsets and len(path) >= 2 and path[1].isdigit():
            _formset, rows = formsets[head]
            index = int(path[1])
            if index < len(rows):
                row = rows[index]
                name = renames.get(path[2], path[2]) if len(path) > 2 else None
                if name in row.fields:
                    row.add_error(name, message)
                else:
                    row.add_error(None, message)
                continue
        if head in formsets:
            form.add_error(None, message)
        elif head in form.fields:
            form.add_error(head, message)
        else:
            form.add_error(None, message)
