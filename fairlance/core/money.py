"""Money is an integer number of minor units (cents) in the deployment's one currency.

There are no floats anywhere: percentages are expressed in basis points and rounded with
integer arithmetic, always in the freelancer's favour being explicit at the call site.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# Minor units per major unit; every currency we support in the demo has two decimals.
MINOR_PER_MAJOR = 100
# Prices above this are refused as absurd (one million in major units).
MAX_PRICE_MINOR = 1_000_000 * MINOR_PER_MAJOR
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def currency() -> str:
    return str(settings.FAIRLANCE_CURRENCY)


@dataclass(frozen=True, slots=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money.minor must be an int")

    @classmethod
    def of(cls, minor: int) -> Money:
        return cls(minor, currency())

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.minor - other.minor, self.currency)

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def format(self) -> str:
        return format_minor(self.minor, self.currency)

    def __str__(self) -> str:
        return self.format()


def format_minor(minor: int, currency_code: str | None = None) -> str:
    """Format minor units for people: ``$1,234.50`` (whole amounts drop the cents)."""
    code = currency_code or currency()
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), MINOR_PER_MAJOR)
    symbol = CURRENCY_SYMBOLS.get(code)
    number = f"{major:,}" if cents == 0 else f"{major:,}.{cents:02d}"
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {code}"


def percent_of(minor: int, basis_points: int) -> int:
    """``basis_points`` (1/100 of a percent) of an amount, rounded half up."""
    return (minor * basis_points + 5_000) // 10_000
