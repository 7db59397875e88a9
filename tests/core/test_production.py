"""What PRODUCTION=true refuses (issue 11, item 20): weak keys, by rule, never random ones.

The attack: a key someone typed ("changeme…", the development key from this repository,
"aaaa…" padded to 50 characters) lets anyone who guesses it forge sessions and
password-reset links. Before, any 50 characters were accepted.
"""

from __future__ import annotations

import random
import secrets
import string

import pytest
from django.core.management.utils import get_random_secret_key

from fairlance.core.production import (
    DEVELOPMENT_SECRET_KEY,
    production_problems,
    secret_key_problem,
)

WEAK_KEYS = {
    "empty": "",
    "short": "too-short",
    "development key": DEVELOPMENT_SECRET_KEY,
    "django's insecure prefix": "django-insecure-" + secrets.token_urlsafe(50),
    "placeholder": "changeme-" + "x7Qp2" * 10,
    "the word secret": "my-super-secret-" + secrets.token_hex(20),
    "one letter": "a" * 64,
    "a repeated chunk": "0123456789" * 6,
    "a repeated random chunk": secrets.token_urlsafe(8)[:10] * 6,
    "the alphabet": string.ascii_letters,
    "a keyboard walk": "qwertyuiopasdfghjklzxcvbnm" * 2,
    "two characters": "ab" * 40,
}


@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_weak_keys_are_refused_with_a_reason_and_a_remedy(key: str) -> None:
    problem = secret_key_problem(key)
    assert problem is not None
    assert problem.startswith("SECRET_KEY ")
    assert "secrets.token_urlsafe(50)" in problem


def test_generated_keys_always_pass() -> None:
    # The usual ways to make a key, many times each (a false alarm would stop a deploy).
    for _ in range(300):
        for key in (
            secrets.token_urlsafe(50),
            secrets.token_hex(32),
            get_random_secret_key(),
            "".join(random.SystemRandom().choices(string.ascii_letters + string.digits, k=50)),
        ):
            assert secret_key_problem(key) is None, key


def test_every_problem_is_listed_at_once() -> None:
    problems = production_problems({"SECRET_KEY": "a" * 60, "DEBUG": True})
    assert len(problems) == 3
    assert problems[0].startswith("SECRET_KEY")
    assert problems[1].startswith("DEBUG")
    assert problems[2].startswith("ACCOUNT_EMAIL_VERIFICATION=mandatory")
    good = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": False,
        "ACCOUNT_EMAIL_VERIFICATION": "mandatory",
    }
    assert production_problems(good) == []
