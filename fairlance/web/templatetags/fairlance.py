"""Template helpers: money, ratings, initials and form fields, formatted for the viewer."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField

from fairlance.core.money import CURRENCY_SYMBOLS, currency, format_minor

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


@register.inclusion_tag("web/includes/stars.html")
def stars(rating_x100: int, count: int) -> dict[str, Any]:
    """A rating in hundredths (485 = 4.85) as five stars with a text equivalent."""
    full = max(0, min(5, (int(rating_x100) + 50) // 100))
    return {
        "count": int(count),
        "filled": "★" * full,
        "empty": "☆" * (5 - full),
        "value": f"{int(rating_x100) / 100:.1f}",
    }


@register.inclusion_tag("web/includes/field.html")
def field(bound: BoundField, mark_optional: bool = True) -> dict[str, Any]:
    """One form field with label, help text and errors (Django wires aria-describedby)."""
    return {
        "f": bound,
        "is_check": bound.widget_type == "checkbox",
        "mark_optional": mark_optional and not bound.field.required,
    }


@register.filter
def plural_days(n: Any) -> str:
    try:
        value = int(n)
    except (TypeError, ValueError):
        return ""
    return f"{value} day" if value == 1 else f"{value} days"


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
