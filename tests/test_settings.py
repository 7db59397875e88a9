"""Production settings: ``check --deploy`` passes with the documented environment, and a
production process refuses to start with the development key.

Each case runs ``manage.py`` in a subprocess because settings are read once per process.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Start from the current environment minus anything that would change the outcome.
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "PRODUCTION",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "DATABASE_URL",
        }
        and not k.startswith("SECURE_")
        and not k.endswith("_COOKIE_SECURE")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "fairlance.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def documented_production_environment() -> dict[str, str]:
    """The environment file docs/operations.md gives, with its placeholders filled in."""
    guide = (ROOT / "docs" / "operations.md").read_text()
    block = guide.split("An environment file for every process", 1)[1]
    block = block.split("```sh\n", 1)[1].split("```", 1)[0]
    env = {}
    for line in block.splitlines():
        name, _, value = line.partition("=")
        env[name] = value.replace("<password>", "password").replace("…", "filled-in")
    assert env["SECRET_KEY"].startswith("<output of")
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def test_deploy_check_passes_with_production_environment() -> None:
    # given the production environment the docs describe
    env = documented_production_environment()
    assert env["PRODUCTION"] == "true"
    # when Django's deployment checklist runs, failing on warnings too
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)
    # then it finds nothing
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_production_refuses_a_weak_key_and_says_how_to_make_one() -> None:
    # given the documented environment with a key someone typed: long, but a pattern
    env = {**documented_production_environment(), "SECRET_KEY": "0123456789" * 6}
    # when any management command starts
    result = run_manage("check", **env)
    # then settings refuse to load, saying what is wrong and how to fix it
    assert result.returncode != 0
    assert "PRODUCTION=true refuses to start" in result.stderr
    assert "SECRET_KEY is not random enough" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


def test_production_names_every_problem_at_once() -> None:
    env = {**documented_production_environment(), "SECRET_KEY": "changeme" * 8, "DEBUG": "true"}
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert 'SECRET_KEY contains "changeme"' in result.stderr
    assert "DEBUG is on" in result.stderr


def test_deploy_check_fails_without_production_flag() -> None:
    # given a strong key but none of the production switches (development defaults)
    env = {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "example.com"}
    # when the deployment checklist runs
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)
    # then it flags the HTTPS settings that only PRODUCTION turns on
    assert result.returncode != 0
    assert "security.W004" in result.stderr  # SECURE_HSTS_SECONDS
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT


def test_production_refuses_the_development_key() -> None:
    # given PRODUCTION=true but no SECRET_KEY
    # when any management command starts
    result = run_manage("check", PRODUCTION="true", ALLOWED_HOSTS="example.com")
    # then settings refuse to load, naming the missing key
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_short_key() -> None:
    result = run_manage(
        "check", PRODUCTION="true", SECRET_KEY="too-short", ALLOWED_HOSTS="example.com"
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug() -> None:
    result = run_manage(
        "check",
        PRODUCTION="true",
        DEBUG="true",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.com",
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_refuses_to_start_without_mandatory_email_verification() -> None:
    # given a production environment that turns address confirmation off
    env = {
        "PRODUCTION": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "example.com",
        "ACCOUNT_EMAIL_VERIFICATION": "none",
    }
    # when any management command starts
    result = run_manage("check", **env)
    # then settings refuse to load, naming the setting and why
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ACCOUNT_EMAIL_VERIFICATION=mandatory" in result.stderr


def test_email_verification_is_mandatory_unless_turned_off() -> None:
    from django.conf import settings

    if "ACCOUNT_EMAIL_VERIFICATION" in os.environ:
        pytest.skip("ACCOUNT_EMAIL_VERIFICATION is set in this environment")
    assert settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"


def test_cache_url_puts_the_caches_in_redis() -> None:
    # Settings are read once per process: ask a fresh one what CACHE_URL makes of them.
    code = (
        "from django.conf import settings; import json;"
        "print(json.dumps({a: [c['BACKEND'], c.get('LOCATION')] for a, c in settings.CACHES.items()}))"
    )
    result = run_manage("shell", "-c", code, CACHE_URL="redis://127.0.0.1:6379/3")
    assert result.returncode == 0, result.stderr
    caches = json.loads(result.stdout.strip().splitlines()[-1])
    assert caches == {
        alias: ["django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6379/3"]
        for alias in ("default", "throttle")
    }
