"""The lists people choose their place from: time zones, countries, holiday regions.

Each list is both what the forms offer and what the services accept (one rule, one place):
a name the settings page cannot offer is refused by the API as well.

- Time zones: the IANA zones that stand for a place, as the time zone database's own
  ``zone.tab`` lists them per country (``Europe/Lisbon``, ``Asia/Tokyo``), plus ``UTC``.
  Aliases and technical names (``localtime``, ``W-SU``, ``Zulu``, ``Etc/GMT+3``,
  ``US/Pacific``) are left out. Grouped by region and labelled with the country's name.
- Countries: ISO 3166-1 countries with their English names (pycountry), so nobody can be
  from "ZZ".
- Public holidays: the countries the ``holidays`` package has calendars for (its own
  two-letter codes, aliases such as "UK" left out) and each one's subdivisions, named by
  the package or ISO 3166-2. A subdivision is written ``PT-11`` (ISO 3166-2 style) in
  the form's list; the bare code ``11`` with the country ``PT`` means the same.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from pathlib import Path

import holidays
import pycountry
from holidays import registry

UTC_ZONE = "UTC"
# The first component of every zone that names a place.
_AREAS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)

Choice = tuple[str, str]
Group = tuple[str, list[Choice]]


# --- countries ------------------------------------------------------------------------------


@functools.cache
def _country_names() -> dict[str, str]:
    return {c.alpha_2: str(getattr(c, "common_name", None) or c.name) for c in pycountry.countries}


def country_name(code: str) -> str:
    """The English name of an ISO 3166-1 alpha-2 ``code`` (the code itself if unknown)."""
    return _country_names().get(code, code)


def is_country(code: str) -> bool:
    return code in _country_names()


@functools.cache
def country_choices() -> list[Choice]:
    """Every ISO 3166-1 country as (code, name), by name."""
    return sorted(_country_names().items(), key=lambda item: item[1])


# --- time zones -----------------------------------------------------------------------------


def _zone_tab() -> list[tuple[str, str]]:
    """(country code, zone) rows of the time zone database's ``zone.tab``, or [] if the
    installed database has none."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.is_file():
            rows = []
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.split("\t")
                if len(fields) >= 3:
                    rows.append((fields[0], fields[2]))
            return rows
    return []


@functools.cache
def _zones() -> dict[str, tuple[str, str]]:
    """Zone name -> (region, label) for every zone people may choose."""
    available = zoneinfo.available_timezones()
    rows = [(cc, zone) for cc, zone in _zone_tab() if zone in available]
    if not rows:
        # No zone.tab: every zone under a geographic area, without a country to name.
        rows = [("", z) for z in available if z.split("/", 1)[0] in _AREAS and "/" in z]
    zones: dict[str, tuple[str, str]] = {}
    for cc, zone in rows:
        region, _, place = zone.partition("/")
        label = place.replace("_", " ").replace("/", " / ")
        if cc:
            label = f"{label} ({country_name(cc)})"
        zones[zone] = (region, label)
    return zones


def is_time_zone(name: str) -> bool:
    """Whether ``name`` is one of the zones people may choose (the curated list)."""
    return name == UTC_ZONE or name in _zones()


@functools.cache
def time_zone_choices() -> list[Group]:
    """The zones people may choose, grouped by region (UTC first), by label."""
    groups: dict[str, list[Choice]] = {}
    for zone, (region, label) in _zones().items():
        groups.setdefault(region, []).append((zone, label))
    return [("Universal", [(UTC_ZONE, "UTC (no daylight saving)")])] + [
        (region, sorted(groups[region], key=lambda choice: choice[1])) for region in sorted(groups)
    ]


# --- public holidays ------------------------------------------------------------------------


def _split_camel(name: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)


@functools.cache
def _holiday_calendars() -> dict[str, tuple[str, dict[str, str]]]:
    """Holiday country code -> (country name, {subdivision code: name})."""
    supported = holidays.list_supported_countries()
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for entry in registry.COUNTRIES.values():
        class_name, code = entry[0], entry[1]
        if code not in supported:
            continue
        calendar = getattr(holidays, class_name)
        names: dict[str, str] = {}
        for name, sub in (getattr(calendar, "subdivisions_aliases", None) or {}).items():
            names.setdefault(sub, name)
        subdivisions: dict[str, str] = {}
        for sub in supported[code]:
            iso = pycountry.subdivisions.get(code=f"{code}-{sub}")
            subdivisions[sub] = names.get(sub) or (iso.name if iso is not None else sub)
        name = country_name(code) if is_country(code) else _split_camel(class_name)
        out[code] = (name, subdivisions)
    return out


def holiday_country_name(code: str) -> str | None:
    found = _holiday_calendars().get(code)
    return found[0] if found else None


def holiday_subdivisions(code: str) -> dict[str, str]:
    """The subdivisions (code -> name) of holiday country ``code``; {} if none or unknown."""
    found = _holiday_calendars().get(code)
    return found[1] if found else {}


@functools.cache
def holiday_country_choices() -> list[Choice]:
    """Countries with public holiday calendars as (code, name), by name."""
    return sorted(((c, v[0]) for c, v in _holiday_calendars().items()), key=lambda x: x[1])


@functools.cache
def holiday_subdivision_choices() -> list[Group]:
    """Per holiday country that has subdivisions: its name and ("PT-11", "Lisboa") pairs."""
    return [
        (name, sorted(((f"{code}-{s}", n) for s, n in subs.items()), key=lambda x: x[1]))
        for code, (name, subs) in sorted(_holiday_calendars().items(), key=lambda x: x[1][0])
        if subs
    ]
