"""``fairlance serve`` collects the static files before it becomes the server.

The server itself is never started: ``os.execv`` is replaced, so the tests see the
command's decision (collect, skip, refuse) and the command line it would run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from fairlance.core.management.commands import serve

MANIFEST = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def started(monkeypatch: Any) -> list[list[str]]:
    """The command lines ``serve`` would have become, instead of becoming them."""
    calls: list[list[str]] = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: calls.append(list(argv)))
    return calls


@pytest.fixture
def static_root(settings: Any, tmp_path: Path) -> Path:
    # Production's storage: hashed names from a manifest that only collectstatic writes
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST}}
    staticfiles_storage._setup()  # type: ignore[attr-defined]
    yield settings.STATIC_ROOT
    staticfiles_storage._wrapped = None  # type: ignore[attr-defined]


def test_serve_collects_the_static_files_then_starts_the_server_and_later_skips_them(
    static_root, started, monkeypatch
) -> None:
    # Given an empty STATIC_ROOT (a fresh install that never ran collectstatic)
    assert not static_root.exists()
    # When the server is started
    call_command("serve", "--bind", "127.0.0.1:8123")
    # Then the stylesheet is collected under its hashed name before the server starts
    assert (static_root / "staticfiles.json").is_file()
    hashed = staticfiles_storage.url("fairlance/app.css")
    assert hashed != "/static/fairlance/app.css" and hashed.endswith(".css")
    assert (static_root / hashed.removeprefix("/static/")).is_file()
    assert len(started) == 1 and "fairlance.wsgi:application" in started[0]

    # When it starts again with the same sources, collectstatic is not run at all
    runs: list[str] = []
    monkeypatch.setattr(serve, "call_command", lambda *a, **k: runs.append(a[0]))
    call_command("serve")
    assert runs == []
    assert len(started) == 2
    # but a changed source (a new file here) is collected on the next start
    monkeypatch.setattr(serve, "static_sources_fingerprint", lambda: "changed")
    call_command("serve")
    assert runs == ["collectstatic"]


def test_serve_refuses_to_start_when_it_cannot_write_static_root(
    settings, tmp_path, started
) -> None:
    # Given a STATIC_ROOT that cannot be created (its parent is a file)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.STATIC_ROOT = blocker / "static"
    # When the server is started, then it says why and what to do, and never starts
    with pytest.raises(CommandError) as refused:
        call_command("serve")
    message = str(refused.value)
    assert str(blocker / "static") in message and "--no-collectstatic" in message
    assert started == []


def test_no_collectstatic_serves_what_is_there(settings, tmp_path, started) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.STATIC_ROOT = blocker / "static"
    call_command("serve", "--no-collectstatic")
    assert len(started) == 1
