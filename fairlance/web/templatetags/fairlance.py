"""Template helpers: money, ratings, initials and form fields, formatted for the viewer."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any

from django import template
from django.forms import BoundField
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import urlize
from django.utils.safestring import SafeString, mark_safe

from fairlance.catalog.search.base import SearchResult
from fairlance.core.money import CURRENCY_SYMBOLS, currency, format_minor
from fairlance.web.presenters import format_day
from fairlance.web.search_presenters import CategoryOption, PriceOption

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """Minor units to ``$1,234.50``; anything that is not an int renders as empty."""
    if value is None or value == "" or isinstance(value, bool):
        return ""
    try:
        return format_minor(int(value))
    except (TypeError, ValueError):
        return ""


@register.filter
def initials(name: Any) -> str:
    """Up to two initials for an avatar placeholder."""
    words = [w for w in str(name or "").replace("@", " ").replace(".", " ").split() if w]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


@register.simple_tag
def stars(rating_x100: int, count: int) -> SafeString:
    """A rating in hundredths (485 = 4.85) as five stars with a text equivalent."""
    return mark_safe(_stars_html(int(rating_x100), int(count)))  # noqa: S308 - numbers only


def _stars_html(rating_x100: int, count: int) -> str:
    if not count:
        return '<span class="stars-new">New — no reviews yet</span>'
    full = max(0, min(5, (rating_x100 + 50) // 100))
    return (
        f'<span class="stars"><span aria-hidden="true">{"★" * full}{"☆" * (5 - full)}</span>'
        f' <strong>{rating_x100 / 100:.1f}</strong> <span class="count">({count})</span>'
        f'<span class="visually-hidden"> out of 5 stars from {count}'
        f" review{'' if count == 1 else 's'}</span></span>"
    )


@register.simple_tag
def rating(value: Any) -> SafeString:
    """One person's rating from 1 to 5 as stars, with the number in words for screen readers."""
    try:
        n = max(0, min(5, int(value)))
    except (TypeError, ValueError):
        return mark_safe("")
    return mark_safe(  # noqa: S308 - numbers only
        f'<span class="stars"><span aria-hidden="true">{"★" * n}{"☆" * (5 - n)}</span>'
        f'<span class="visually-hidden">{n} out of 5 stars</span></span>'
    )


@register.simple_tag
def success_score(score: int | None) -> SafeString:
    """The freelancer's stored success score ("96% success"); nothing while it is not
    shown (fewer than 2 clients)."""
    return mark_safe(_score_html(score))  # noqa: S308 - a number only


def _score_html(score: int | None) -> str:
    if score is None:
        return ""
    return (
        f' <span class="success-score" title="Success score over the last 12 months">'
        f"{int(score)}% success</span>"
    )


@register.simple_tag
def project_card(p: SearchResult) -> SafeString:
    """One search result as a card (search page, home page).

    Built in Python with ``html.escape`` rather than an included template (or
    ``format_html``): a page shows 24 cards, and the template machinery cost more than the
    rest of the page. Every value from the database is escaped below; the snippet comes
    escaped from the search engine, with only its own ``<mark>`` added.
    """
    cover = p.cover
    if cover is not None:
        thumb = (
            f'<img src="{escape(cover.url)}" alt="" loading="lazy"'
            f' width="{int(cover.width)}" height="{int(cover.height)}">'
        )
    else:
        thumb = (
            f'<div class="thumb-placeholder" aria-hidden="true">{escape(initials(p.title))}</div>'
        )
    name = p.freelancer.public_name
    # The same words as the project page: "3 working days" or "3 days" (calendar days).
    days = (
        '<span class="delivery"><span class="meta-label">Delivery</span> '
        f"{plural_days(p.min_delivery_days, p.delivery_in_working_days)}</span>"
        if p.min_delivery_days
        else "<span></span>"
    )
    snippet = f'    <p class="snippet">{p.snippet_html}</p>\n' if p.snippet_html else ""
    return mark_safe(  # noqa: S308 - every interpolated value is escaped or a number
        "<li>\n"
        '<article class="card project-card">\n'
        f'  <div class="thumb">{thumb}</div>\n'
        '  <div class="body">\n'
        f'    <div class="person"><span class="avatar" aria-hidden="true">{escape(initials(name))}'
        f'</span><strong><a href="{_freelancer_url(p.freelancer.id)}">{escape(name)}</a>'
        "</strong></div>\n"
        f'    <h3><a href="{_project_url(p.id)}">{escape(p.title)}</a></h3>\n'
        '    <div class="rating-line">'
        f"{_stars_html(p.rating_x100, p.rating_count)}{_score_html(p.freelancer_score)}</div>\n"
        f"{_availability_html(p)}"
        f"{snippet}"
        '    <div class="meta">\n'
        f"      {days}\n"
        '      <span class="price-from"><span class="meta-label">From</span> '
        f"{escape(money(p.from_price_minor))}</span>\n"
        "    </div>\n"
        "  </div>\n"
        "</article>\n"
        "</li>"
    )


def _availability_html(p: SearchResult) -> str:
    """Why the project cannot be bought today, as the project page says it: away until a
    day ("Fri 11 Dec", the site's short date), fully booked, or both."""
    badges = []
    if p.away_until is not None:
        badges.append(
            f'<span class="badge badge-away">Away until {escape(format_day(p.away_until))}</span>'
        )
    if p.fully_booked:
        badges.append('<span class="badge badge-booked">Fully booked</span>')
    return f'    <p class="card-flags">{" ".join(badges)}</p>\n' if badges else ""


# --- search facets ---------------------------------------------------------------------------
# Built in Python for the same reason as the cards: 11 categories and 4 price bands through
# included templates cost the search page more than its ranking did.


@register.simple_tag
def category_facets(options: Sequence[CategoryOption]) -> SafeString:
    """The category filter: one radio per category with how many results it would give."""
    rows = [
        '<label class="facet"><input type="radio" name="category"'
        f' value="{escape(o.slug)}"{" checked" if o.checked else ""}>'
        f' <span class="facet-name">{escape(o.name)}</span>'
        f" {_facet_count_html(o.slug or 'all', o.count, oob=False)}</label>"
        for o in options
    ]
    return mark_safe("\n".join(rows))  # noqa: S308 - every value is escaped or a number


@register.simple_tag
def category_facet_counts(options: Sequence[CategoryOption]) -> SafeString:
    """The same counts alone, for htmx to swap in beside the radios (out of band): the
    radios themselves stay, so the one just clicked keeps the focus."""
    spans = [_facet_count_html(o.slug or "all", o.count, oob=True) for o in options]
    return mark_safe("\n".join(spans))  # noqa: S308 - slugs are escaped, counts numbers


def _facet_count_html(key: str, count: int | None, *, oob: bool) -> str:
    zero = " facet-count-zero" if count == 0 else ""
    swap = ' hx-swap-oob="true"' if oob else ""
    number = "" if count is None else str(int(count))
    return f'<span class="facet-count{zero}" id="facet-count-{escape(key)}"{swap}>{number}</span>'


@register.simple_tag
def price_facets(
    options: Sequence[PriceOption], any_price_query: str, price_chosen: bool, oob: bool = False
) -> SafeString:
    """The price bands as links that set the range and keep the rest (a page load, so the
    price fields show the range), each with its count; the chosen one is marked."""
    search = _search_url()
    rows = []
    if price_chosen:
        rows.append(
            f'<li><a class="facet-link" href="{search}?{escape(any_price_query)}">Any price</a></li>'
        )
    for o in options:
        label = escape(o.label)
        if o.current:
            name = f'<strong class="facet-name facet-current" aria-current="true">{label}</strong>'
        elif o.count:
            name = f'<a class="facet-link facet-name" href="{search}?{escape(o.query)}">{label}</a>'
        else:
            name = f'<span class="facet-name">{label}</span>'
        zero = " facet-count-zero" if o.count == 0 else ""
        rows.append(
            f'<li class="facet">{name} <span class="facet-count{zero}">{int(o.count)}</span></li>'
        )
    swap = ' hx-swap-oob="true"' if oob else ""
    return mark_safe(  # noqa: S308 - every value is escaped or a number
        f'<ul class="facet-links" id="price-bands"{swap}>{"".join(rows)}</ul>'
    )


@lru_cache(maxsize=1)
def _search_url() -> str:
    return reverse("web:search")


def _freelancer_url(user_id: int) -> str:
    return _freelancer_url_with_id_zero().replace("0", str(int(user_id)), 1)


@lru_cache(maxsize=1)
def _freelancer_url_with_id_zero() -> str:
    url = reverse("web:freelancer_profile", args=[0])
    assert url.count("0") == 1, url
    return url


def _project_url(project_id: int) -> str:
    # One reverse() per process instead of one per card: only the id varies.
    return _project_url_with_id_zero().replace("0", str(project_id), 1)


@lru_cache(maxsize=1)
def _project_url_with_id_zero() -> str:
    url = reverse("web:project_detail", args=[0])
    assert url.count("0") == 1, url
    return url


@register.simple_tag
def field(bound: BoundField, mark_optional: bool = True) -> SafeString:
    """One form field with label, help text and errors (Django wires aria-describedby).

    The HTML of a field is a pure function of what the key below holds, and Django renders
    each widget (and each <option>) through templates: the search page's filters cost more
    than its 24 result cards. So the HTML of short values is remembered per process.
    """
    value = bound.value()
    key = (
        type(bound.form).__qualname__,
        bound.form.prefix,
        bound.name,
        bound.auto_id,
        bound.label,
        bound.help_text,
        bound.field.required,
        bound.field.disabled,
        repr(value),
        tuple(str(e) for e in bound.errors),
        mark_optional,
        repr(getattr(bound.field, "choices", None)),
        repr(bound.field.widget.attrs),
        getattr(bound.field.widget, "input_type", None),
    )
    cacheable = len(key[8]) <= _FIELD_VALUE_MAX
    html = _FIELD_HTML.get(key) if cacheable else None
    if html is None:
        html = render_to_string(
            "web/includes/field.html",
            {
                "f": bound,
                "is_check": bound.widget_type == "checkbox",
                "mark_optional": mark_optional and not bound.field.required,
            },
        )
        if cacheable:
            if len(_FIELD_HTML) >= _FIELD_HTML_MAX:
                _FIELD_HTML.pop(next(iter(_FIELD_HTML)))  # the oldest entry
            _FIELD_HTML[key] = html
    return mark_safe(html)  # noqa: S308 - rendered by the autoescaping template above


_FIELD_VALUE_MAX = 200
_FIELD_HTML_MAX = 2_000
_FIELD_HTML: dict[tuple[Any, ...], str] = {}


@register.filter
def plural_days(n: Any, working: Any = False) -> str:
    """``3 days``, or ``3 working days`` when ``working`` (the project counts working days)."""
    try:
        value = int(n)
    except (TypeError, ValueError):
        return ""
    unit = "working day" if working else "day"
    return f"{value} {unit}" if value == 1 else f"{value} {unit}s"


@register.filter
def signed_days(n: Any, working: Any = False) -> str:
    """An add-on's extra days: ``+3 days``, ``+1 working day``; a negative count (an add-on
    that shortens delivery) reads with a real minus sign, U+2212."""
    try:
        value = int(n)
    except (TypeError, ValueError):
        return ""
    return ("+" if value >= 0 else "\u2212") + plural_days(abs(value), working)


@register.filter
def country(code: Any) -> str:
    """A country's name from its ISO code (``PT`` → ``Portugal``), the code if unknown."""
    from fairlance.accounts.places import country_name

    return country_name(str(code or "").upper())


@register.filter
def bp_percent(basis_points: Any) -> str:
    """Basis points as a percentage for people: 1000 → ``10%``, 1250 → ``12.5%``."""
    try:
        bp = int(basis_points)
    except (TypeError, ValueError):
        return ""
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


@register.simple_tag
def currency_symbol() -> str:
    """The deployment currency's symbol (or its code), for labels like "Price ($)"."""
    code = currency()
    return CURRENCY_SYMBOLS.get(code, code)


@register.filter(is_safe=True, needs_autoescape=True)
def linkify(text: Any, autoescape: bool = True) -> SafeString:
    """People's notes with their links clickable: escaped, then ``urlize``'d.

    ``urlize`` escapes everything it does not turn into a link and marks links
    ``rel="nofollow"``; ``noopener`` is added so an opened page cannot reach back into
    the contract room through ``window.opener``.
    """
    html = urlize(str(text or ""), nofollow=True, autoescape=autoescape)
    return mark_safe(html.replace(' rel="nofollow"', ' rel="nofollow noopener"'))  # noqa: S308
