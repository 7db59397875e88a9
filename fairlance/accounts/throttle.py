"""One throttle for every way to present a password.

The web login (which the admin signs in through), allauth's re-authentication, the password
change form and ``POST /api/v1/auth/token`` all check a password inside ``password_attempt``.
It slows guessing down without ever locking the owner out:

- **Per account and client address.** The first ``FAIRLANCE_LOGIN_FREE_FAILURES`` wrong
  passwords cost nothing (people mistype); after that each failure doubles the wait before
  the next attempt from that address is even checked: 1 s, 2 s, 4 s... up to
  ``FAIRLANCE_LOGIN_MAX_DELAY_SECONDS``. The owner on another address is not affected.
- **Per client address**, across accounts (one machine trying many accounts), and **per
  account**, across addresses (many machines trying one account), each with a larger
  allowance before the same doubling starts. Neither applies to an address the account
  signed in from before (a *known* address), so during an attack from elsewhere the owner's
  usual devices keep working.
- An owner who is slowed down anyway signs in with a one-time code sent to their verified
  address (allauth's login by code, ``/accounts/login/code/``); signing in makes the
  address known and forgets its failures (``password_throttle_unlock``).

A wait is refused before the password is checked, so waiting is the only way through; the
API answers ``429`` with ``Retry-After``, the web form says how long. Failures are forgotten
``FAIRLANCE_LOGIN_FAILURE_MEMORY_SECONDS`` after the last one. The state lives in Django's
cache alias ``throttle``: per process with the default LocMemCache, shared by every process
when ``CACHE_URL`` points at Redis (production). See docs/operations.md, "Security".
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.http import HttpRequest
from django.utils import timezone

from fairlance.accounts.models import User
from fairlance.accounts.selectors import users_by_login_address
from fairlance.core.errors import TooManyAttempts

CACHE_ALIAS = "throttle"
#: How long an address stays known to an account after a sign-in from it.
KNOWN_ADDRESS_SECONDS = 90 * 24 * 3600
#: One attempt per (account, address) at a time. A crashed process's hold expires by itself.
SLOT_SECONDS = 30
#: How long a second, simultaneous attempt waits for the first before it is refused.
SLOT_WAIT_SECONDS = 2.0
#: IPv6 clients are counted by their /64 network: one machine commonly holds all of one.
IPV6_PREFIX = 64
#: Waits stop doubling here long before the maximum delay would be reached anyway.
_MAX_DOUBLINGS = 40


def client_address(request: HttpRequest) -> str:
    """The address a request came from, as the throttle counts it.

    allauth's adapter reads it (``ALLAUTH_TRUSTED_PROXY_COUNT`` /
    ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER`` say which forwarded header to believe), so this
    throttle and allauth's own rate limits always agree on who the client is.
    """
    from allauth.account.adapter import get_adapter
    from django.core.exceptions import ImproperlyConfigured, PermissionDenied

    try:
        raw = get_adapter(request).get_client_ip(request)
    except ImproperlyConfigured:
        # Fewer X-Forwarded-For entries than the proxies configured: the request did not
        # come through them, so the connection's own address is the client's.
        raw = request.META.get("REMOTE_ADDR", "")
    except PermissionDenied:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(raw)
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/{IPV6_PREFIX}", strict=False).network_address)
    return str(parsed)


def account_for_user(user: User) -> str:
    return f"user:{user.pk}"


def account_for_email(email: str) -> str:
    """The account a typed address names, as the throttle counts it.

    Every address of one account shares one count. An address that names no account is
    counted under itself, and waits exactly as long: the throttle must not tell anybody
    which addresses have accounts.
    """
    users = users_by_login_address(email=email)
    if len(users) == 1:
        return account_for_user(users[0])
    return "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class _Keys:
    account: str
    address: str

    @property
    def pair(self) -> str:
        return f"pw:pair:{self.account}:{self.address}"

    @property
    def per_account(self) -> str:
        return f"pw:account:{self.account}"

    @property
    def per_address(self) -> str:
        return f"pw:address:{self.address}"

    @property
    def known(self) -> str:
        return f"pw:known:{self.account}:{self.address}"

    @property
    def slot(self) -> str:
        return f"pw:slot:{self.account}:{self.address}"


def _cache() -> BaseCache:
    return caches[CACHE_ALIAS]


def _now() -> float:
    return timezone.now().timestamp()


def _failures(key: str, *, now: float) -> tuple[int, float]:
    """The failures counted under ``key`` and when the last one was, as of ``now``.

    Failures older than the memory count as none, by the application's clock: the cache's
    own expiry (which frees the memory) runs on the cache server's clock.
    """
    values = _cache().get_many([f"{key}:n", f"{key}:t"])
    last_at = float(values.get(f"{key}:t", 0.0))
    if now - last_at > settings.FAIRLANCE_LOGIN_FAILURE_MEMORY_SECONDS:
        return 0, last_at
    return int(values.get(f"{key}:n", 0)), last_at


def _wait(key: str, *, free: int, now: float) -> float:
    """Seconds still to wait before an attempt counted under ``key`` may be checked."""
    failures, last_at = _failures(key, now=now)
    if failures < free:
        return 0.0
    doublings = min(failures - free, _MAX_DOUBLINGS)
    delay = min(2.0**doublings, float(settings.FAIRLANCE_LOGIN_MAX_DELAY_SECONDS))
    return max(0.0, last_at + delay - now)


def _count_failure(key: str, *, now: float) -> None:
    cache = _cache()
    memory = int(settings.FAIRLANCE_LOGIN_FAILURE_MEMORY_SECONDS)
    if _failures(key, now=now)[0] == 0:
        cache.set(f"{key}:n", 1, memory)
    else:
        # add + incr rather than get + set: attempts on other accounts or from other
        # addresses run at the same time and share the per-address and per-account counts.
        cache.add(f"{key}:n", 0, memory)
        try:
            cache.incr(f"{key}:n")
        except ValueError:  # expired between add and incr
            cache.set(f"{key}:n", 1, memory)
        cache.touch(f"{key}:n", memory)
    cache.set(f"{key}:t", now, memory)


def _forget(key: str) -> None:
    _cache().delete_many([f"{key}:n", f"{key}:t"])


def _take_slot(keys: _Keys) -> None:
    # Attempts on one account from one address take turns, so a burst of simultaneous
    # guesses cannot all be checked before the first failure is counted. A second one
    # (a double-clicked button) waits briefly for the first and then sees its outcome.
    # The deadline is real elapsed time, not the application's clock.
    deadline = time.monotonic() + SLOT_WAIT_SECONDS
    while not _cache().add(keys.slot, 1, SLOT_SECONDS):
        if time.monotonic() >= deadline:
            raise TooManyAttempts(
                "Another sign-in to this account from your address is in progress.",
                retry_after=1,
            )
        time.sleep(0.05)


def wait_in_words(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} hour{'s' if hours != 1 else ''}"


class PasswordAttempt:
    """One password check in progress; call ``succeeded()`` once the password was right."""

    def __init__(self) -> None:
        self.ok = False

    def succeeded(self) -> None:
        self.ok = True


@contextmanager
def password_attempt(*, account: str, address: str) -> Iterator[PasswordAttempt]:
    """Check one password presented for ``account`` from ``address`` inside this block.

    Raises ``TooManyAttempts`` before the block runs while a wait is in force. The block
    checks the password and calls ``attempt.succeeded()`` if it was right; anything else
    (a wrong password, an exception) counts as a failure.
    """
    keys = _Keys(account=account, address=address)
    _take_slot(keys)
    try:
        now = _now()
        wait = _wait(keys.pair, free=settings.FAIRLANCE_LOGIN_FREE_FAILURES, now=now)
        if not _cache().get(keys.known):
            wait = max(
                wait,
                _wait(
                    keys.per_address,
                    free=settings.FAIRLANCE_LOGIN_FREE_FAILURES_PER_ADDRESS,
                    now=now,
                ),
                _wait(
                    keys.per_account,
                    free=settings.FAIRLANCE_LOGIN_FREE_FAILURES_PER_ACCOUNT,
                    now=now,
                ),
            )
        if wait > 0:
            seconds = math.ceil(wait)
            raise TooManyAttempts(
                "Too many wrong passwords for this account from your address. Try again in "
                f"{wait_in_words(seconds)}, or sign in with a one-time code sent to your email.",
                retry_after=seconds,
            )
        attempt = PasswordAttempt()
        try:
            yield attempt
        finally:
            if attempt.ok:
                password_throttle_unlock(account=account, address=address)
            else:
                for key in (keys.pair, keys.per_address, keys.per_account):
                    _count_failure(key, now=_now())
    finally:
        _cache().delete(keys.slot)


def password_throttle_unlock(*, account: str, address: str) -> None:
    """The owner signed in from ``address``: forget its failures and remember it as known.

    The per-address and per-account counts stay: a guesser who owns some account must not
    be able to wipe them by signing in to it between guesses.
    """
    keys = _Keys(account=account, address=address)
    _forget(keys.pair)
    _cache().set(keys.known, 1, KNOWN_ADDRESS_SECONDS)
