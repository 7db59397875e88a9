"""The site's name and address as configured, for everything sent outside a request.

Emails are read long after the request that caused them, often from a worker that has no
request at all, and a request's host is whatever the visitor's browser (or a proxy) said:
"127.0.0.1:8101" in a demo. Links and names in emails therefore come from settings
(``FAIRLANCE_SITE_NAME``, ``FAIRLANCE_SITE_URL``), never from a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


def site_name() -> str:
    return str(settings.FAIRLANCE_SITE_NAME)


def site_url(path: str = "") -> str:
    """The absolute URL of ``path`` (which starts with "/") on the configured site."""
    base = str(settings.FAIRLANCE_SITE_URL).rstrip("/")
    return f"{base}{path}"


def rebase_url(url: str) -> str:
    """``url`` with its scheme and host replaced by the configured site's (path kept).

    For links a library built from the request (``request.build_absolute_uri``).
    """
    parts = urlsplit(url)
    base = urlsplit(site_url())
    return parts._replace(scheme=base.scheme, netloc=base.netloc).geturl()


@dataclass(frozen=True)
class SiteInfo:
    """What templates expect of ``current_site`` (a ``Site`` or ``RequestSite``)."""

    name: str
    domain: str


def current_site() -> SiteInfo:
    return SiteInfo(name=site_name(), domain=urlsplit(site_url()).netloc)
