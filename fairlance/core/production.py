"""What ``PRODUCTION=true`` refuses to start with: one list, checked when settings load.

``fairlance/settings.py`` calls ``production_problems`` with its own values once they are
all set and raises ``ImproperlyConfigured`` listing every problem, so a deployment learns
everything it must fix in one go instead of one restart at a time. A new refusal is one
more check in ``production_problems``; its message says what to set.

This module runs while settings are being read: it imports nothing from Django that would
need them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

#: The key the repository ships for development (settings.py's default). Published, so
#: anything it signs (sessions, password-reset links) can be forged by anyone.
DEVELOPMENT_SECRET_KEY = (
    "django-insecure-fairlance-development-key-change-me-in-production-0123456789"
)
MIN_SECRET_KEY_LENGTH = 50
# A key drawn at random from any usual alphabet (hex, base64, Django's own) of 50 or more
# characters carries 200+ bits; a key below this estimate was typed or patterned by hand.
MIN_SECRET_KEY_BITS = 128
# Words that only appear in a key somebody typed as a placeholder.
PLACEHOLDER_WORDS = (
    "changeme",
    "change-me",
    "change_me",
    "insecure",
    "secret",
    "password",
    "example",
    "placeholder",
    "fairlance",
)
GENERATE_HINT = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is too weak to sign a production site's sessions, or None if it is not.

    Refused: an empty or short key, the development key, a key containing a placeholder
    word, and a low-entropy key (few distinct characters, a repeated or stepped pattern
    like ``abcabc…`` or ``0123456789…``). A random key never trips these checks.
    """
    if not key:
        return f"SECRET_KEY is empty; {GENERATE_HINT}."
    if key == DEVELOPMENT_SECRET_KEY or key.startswith("django-insecure"):
        return (
            "SECRET_KEY is not set, or is the development key published with the code; "
            f"{GENERATE_HINT}."
        )
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return (
            f"SECRET_KEY has {len(key)} characters; it needs at least "
            f"{MIN_SECRET_KEY_LENGTH} random ones ({GENERATE_HINT})."
        )
    lowered = key.lower()
    word = next((w for w in PLACEHOLDER_WORDS if w in lowered), None)
    if word is not None:
        return f'SECRET_KEY contains "{word}", so it was typed, not generated; {GENERATE_HINT}.'
    if _looks_patterned(key) or _entropy_bits(key) < MIN_SECRET_KEY_BITS:
        return f"SECRET_KEY is not random enough (a pattern or few characters); {GENERATE_HINT}."
    return None


def _entropy_bits(key: str) -> float:
    """The key's length times the Shannon entropy of its characters' frequencies."""
    counts = Counter(key)
    total = len(key)
    per_char = -sum(n / total * math.log2(n / total) for n in counts.values())
    return per_char * total


def _looks_patterned(key: str) -> bool:
    """True for repeated or stepped keys, whose character frequencies can look random.

    In a random key almost every run of three characters is new and the step between
    neighbours rarely repeats; ``abcabc…`` repeats its runs and ``abcdef…`` its step.
    """
    triples = {key[i : i + 3] for i in range(len(key) - 2)}
    if len(triples) < 0.75 * (len(key) - 2):
        return True
    steps = [ord(b) - ord(a) for a, b in pairwise(key)]
    same_step = sum(1 for a, b in pairwise(steps) if a == b)
    return same_step > 0.3 * len(steps)


def production_problems(values: Mapping[str, Any]) -> list[str]:
    """Everything ``values`` (the settings module's names) gets wrong for production.

    Precondition: ``values`` holds the final settings (call it at the end of settings.py).
    An empty list means the settings may serve the public.
    """
    problems: list[str] = []
    key_problem = secret_key_problem(str(values.get("SECRET_KEY") or ""))
    if key_problem:
        problems.append(key_problem)
    if values.get("DEBUG"):
        problems.append("DEBUG is on; it shows tracebacks and settings to anyone. Unset DEBUG.")
    verification = values.get("ACCOUNT_EMAIL_VERIFICATION")
    if verification != "mandatory":
        problems.append(
            "ACCOUNT_EMAIL_VERIFICATION=mandatory is required (the default): with "
            f"{verification!r}, anyone could sign in with, or reset the password of, an email "
            "address they do not own."
        )
    return problems
