"""Browser journeys: Debian's Chromium driven by Playwright against pytest-django's
live server. Run with ``DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m e2e -p no:xdist tests/e2e``.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself are still synchronous, so the async-safety guard has to step aside.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(os.environ.get("E2E_SHOTS", "/tmp/shots"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def watch_policies(context: Any) -> list[str]:
    """Collect what the browser reports against the site's policies, on every page of
    ``context``: Content-Security-Policy refusals (a blocked inline script or style, a
    disallowed source) and Permissions-Policy header errors."""
    reports: list[str] = []

    def on_console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Permissions-Policy" in text:
            reports.append(f"{message.page.url if message.page else ''}: {text}")

    context.on("console", on_console)
    return reports


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    reports = watch_policies(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    # Every journey runs under the site's real policies: anything they refused (an inline
    # script without its nonce, a style attribute) is a broken page for real visitors.
    assert not reports, "\n".join(reports)


@pytest.fixture(autouse=True)
def _e2e_environment(settings: Any, transactional_db: None) -> None:
    # No collectstatic in tests: serve app static files without a hashed manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # transactional_db flushes tables between tests, which also drops the categories the
    # data migration seeded; put them back the way the migration does.
    from fairlance.catalog.models import Category

    seed = importlib.import_module("fairlance.catalog.migrations.0002_seed_categories")
    for position, (slug, name, description) in enumerate(seed.CATEGORIES):
        Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )


def load_axe(page: Any) -> None:
    """Put axe-core into the page.

    Evaluated through the browser's automation protocol, not added as a <script> tag,
    which the site's Content-Security-Policy refuses as an inline script without a nonce.
    """
    page.evaluate(AXE_JS.read_text())


def axe_check(page: Any) -> None:
    """Run axe-core in the page; fail on any serious or critical violation."""
    load_axe(page)
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})); }"
    )
    bad = [v for v in result if v["impact"] in {"serious", "critical"}]
    assert not bad, json.dumps(bad, indent=2)


def shot(page: Any, name: str) -> None:
    """Keep a screenshot for people reviewing the UI (not an assertion)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page: Any, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/dashboard/")
