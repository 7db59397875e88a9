"""Issue 11, item 18: one throttle for every way to present a password.

Before the fix ``POST /api/v1/auth/token`` and the admin's login took any number of
guesses, while the website locked an account for everyone (its owner included) after five
wrong passwords. Now wrong passwords for one account from one address make that address
wait longer and longer; the owner elsewhere is not affected, and an owner who is slowed
down signs in with a code sent by email. The clock is moved with time_machine; the
client address is the request's REMOTE_ADDR.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.cache import caches
from django.test import Client

from fairlance.accounts import throttle
from fairlance.accounts.models import ApiToken, User
from tests.conftest import PASSWORD, assert_problem, make_user

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def owner(db: None) -> User:
    return make_user("owner@example.com")


def token(email: str, password: str, address: str, **headers: str) -> Any:
    return Client().post(
        "/api/v1/auth/token",
        json.dumps({"email": email, "password": password}),
        content_type="application/json",
        REMOTE_ADDR=address,
        headers=headers,
    )


def web_login(email: str, password: str, address: str, browser: Client | None = None) -> Any:
    browser = browser or Client()
    return browser.post(
        "/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=address
    )


def wait_of(response: Any) -> int:
    body = assert_problem(response, 429, "too_many_attempts")
    assert body["retry_after"] == int(response["Retry-After"])
    return int(response["Retry-After"])


def guess_until_waiting(email: str, address: str, clock: Any, *, at_least: int) -> list[int]:
    """Guess wrong from ``address``, waiting out each wait, until one is ``at_least`` long.

    Returns the waits seen; the last is still in force when this returns.
    """
    waits: list[int] = []
    while not waits or waits[-1] < at_least:
        response = token(email, "guess", address)
        if response.status_code == 429:
            waits.append(wait_of(response))
            if waits[-1] < at_least:
                clock.shift(timedelta(seconds=waits[-1]))
        else:
            assert_problem(response, 401, "invalid_credentials")
    return waits


# --- Slowed, not locked ------------------------------------------------------------------


def test_guesses_from_one_address_wait_twice_as_long_each_time(owner: User, clock: Any):
    # Given three wrong passwords from the attacker's address: people mistype, they are free
    for _ in range(3):
        assert_problem(token(owner.email, "guess", ATTACKER), 401, "invalid_credentials")

    # Then every further wrong password doubles the wait before the next one is checked
    waits = []
    for _ in range(6):
        wait = wait_of(token(owner.email, "guess", ATTACKER))
        waits.append(wait)
        clock.shift(timedelta(seconds=wait))
        assert_problem(token(owner.email, "guess", ATTACKER), 401, "invalid_credentials")
    assert waits == [1, 2, 4, 8, 16, 32]

    # And while a wait is in force even the right password gets nothing: waiting is the
    # only way through, so guessing faster is not possible
    wait_of(token(owner.email, PASSWORD, ATTACKER))
    assert not ApiToken.objects.exists()


def test_the_owner_on_another_address_is_not_slowed(owner: User, clock: Any):
    # Given an attacker who has made their address wait a long time
    guess_until_waiting(owner.email, ATTACKER, clock, at_least=64)

    # When the owner signs in from their own address, by API and on the website
    api_response = token(owner.email, PASSWORD, OWNER)
    web_response = web_login(owner.email, PASSWORD, OWNER)

    # Then they get in at once
    assert api_response.status_code == 201
    assert web_response["Location"] == "/dashboard/"


def test_waits_stop_at_the_maximum_and_failures_are_forgotten_a_day_later(
    owner: User, clock: Any, settings: Any
):
    waits = guess_until_waiting(owner.email, ATTACKER, clock, at_least=900)
    clock.shift(timedelta(seconds=900))
    assert_problem(token(owner.email, "guess", ATTACKER), 401)
    # The next wait would be 1024 s; it stops at the maximum
    assert wait_of(token(owner.email, "guess", ATTACKER)) == 900
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
    assert settings.FAIRLANCE_LOGIN_MAX_DELAY_SECONDS == 900

    # A day after the last failure the count starts again from nothing
    clock.shift(timedelta(seconds=settings.FAIRLANCE_LOGIN_FAILURE_MEMORY_SECONDS + 1))
    for _ in range(2):
        assert_problem(token(owner.email, "guess", ATTACKER), 401, "invalid_credentials")
    assert token(owner.email, PASSWORD, ATTACKER).status_code == 201


def test_an_address_without_an_account_waits_exactly_as_long(owner: User, clock: Any):
    # The throttle must not tell which addresses have accounts.
    known = guess_until_waiting(owner.email, ATTACKER, clock, at_least=32)
    unknown = guess_until_waiting("nobody@example.com", "192.0.2.1", clock, at_least=32)
    assert known == unknown == [1, 2, 4, 8, 16, 32]


def test_a_forged_forwarded_for_header_does_not_make_a_new_address(owner: User, clock: Any):
    for _ in range(3):
        token(owner.email, "guess", ATTACKER)
    wait_of(token(owner.email, "guess", ATTACKER, **{"X-Forwarded-For": "10.9.8.7"}))


def test_ipv6_clients_are_counted_by_their_64_network(owner: User, clock: Any):
    for i in range(3):
        token(owner.email, "guess", f"2001:db8:1:2::{i + 1}")
    wait_of(token(owner.email, "guess", "2001:db8:1:2:ffff::9"))
    assert token(owner.email, PASSWORD, "2001:db8:1:3::1").status_code == 201


# --- One throttle for every door ---------------------------------------------------------


def test_the_website_login_and_the_api_share_one_count(owner: User, clock: Any):
    # Given three wrong passwords on the website's login (which the admin also uses)
    for _ in range(3):
        response = web_login(owner.email, "guess", ATTACKER)
        assert response.status_code == 200 and b"form-errors" in response.content

    # Then the API makes the same address wait, and the website says how long and how else
    wait_of(token(owner.email, "guess", ATTACKER))
    page = web_login(owner.email, PASSWORD, ATTACKER)
    html = page.content.decode()
    assert "Too many wrong passwords for this account from your address" in html
    assert "Try again in 1 second" in html
    assert 'href="/accounts/login/code/"' in html
    assert "_auth_user_id" not in page.wsgi_request.session


def test_the_admin_login_is_the_throttled_site_login(owner: User, clock: Any):
    User.objects.filter(pk=owner.pk).update(is_staff=True)
    for _ in range(3):
        web_login(owner.email, "guess", ATTACKER)
    browser = Client()
    # The admin's own form is not served: every password goes through the site's login
    response = browser.post(
        "/admin/login/", {"username": owner.email, "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )
    assert response["Location"].startswith("/accounts/login/")
    assert (
        "Too many wrong passwords"
        in web_login(owner.email, PASSWORD, ATTACKER, browser).content.decode()
    )
    assert browser.get("/admin/").status_code == 302


def test_the_password_change_form_is_throttled(owner: User, clock: Any):
    # Given someone at the owner's unlocked computer guessing the current password
    browser = Client()
    browser.force_login(owner)

    def change(old: str) -> Any:
        return browser.post(
            "/accounts/password/change/",
            {"oldpassword": old, "password1": "n3w passphrase!", "password2": "n3w passphrase!"},
            REMOTE_ADDR=ATTACKER,
        )

    for _ in range(3):
        assert change("guess").status_code == 200
    refused = change(PASSWORD)

    assert "Too many wrong passwords" in refused.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    clock.shift(timedelta(seconds=1))
    assert change(PASSWORD).status_code == 302


def test_many_addresses_against_one_account_slow_new_addresses_but_not_known_ones(
    owner: User, clock: Any, settings: Any
):
    # Given the owner signed in from home once
    assert token(owner.email, PASSWORD, OWNER).status_code == 201
    # When guesses come from many addresses, one each
    for i in range(settings.FAIRLANCE_LOGIN_FREE_FAILURES_PER_ACCOUNT):
        assert_problem(token(owner.email, "guess", f"192.0.2.{i + 1}"), 401)
    # Then a new address waits, while the owner at home does not
    wait_of(token(owner.email, PASSWORD, "192.0.2.200"))
    assert token(owner.email, PASSWORD, OWNER).status_code == 201


def test_one_address_against_many_accounts_is_slowed(owner: User, clock: Any, settings: Any):
    for i in range(settings.FAIRLANCE_LOGIN_FREE_FAILURES_PER_ADDRESS):
        assert_problem(token(f"user{i}@example.com", "guess", ATTACKER), 401)
    wait_of(token(owner.email, PASSWORD, ATTACKER))
    assert token(owner.email, PASSWORD, OWNER).status_code == 201


def test_simultaneous_guesses_take_turns(owner: User, clock: Any, monkeypatch: Any):
    # Given an attempt from this address still being checked (its slot is taken)
    monkeypatch.setattr(throttle, "SLOT_WAIT_SECONDS", 0.0)
    account = throttle.account_for_email(owner.email)
    caches["throttle"].add(f"pw:slot:{account}:{ATTACKER}", 1, 30)

    # Then a second one is not checked alongside it
    assert wait_of(token(owner.email, PASSWORD, ATTACKER)) == 1
    assert token(owner.email, PASSWORD, OWNER).status_code == 201


# --- The way back in ---------------------------------------------------------------------


def emailed_code() -> str:
    (message,) = mail.outbox
    mail.outbox.clear()
    found = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message.body, re.MULTILINE)
    assert found is not None, message.body
    return found.group(1)


def test_an_owner_slowed_down_signs_in_with_a_code_once(owner: User, clock: Any):
    # Given the owner shares the attacker's address (same office), so they wait too
    guess_until_waiting(owner.email, ATTACKER, clock, at_least=8)
    wait_of(token(owner.email, PASSWORD, ATTACKER))

    # When they ask for a sign-in code by email and enter it
    browser = Client(REMOTE_ADDR=ATTACKER)
    assert browser.post("/accounts/login/code/", {"email": owner.email}).status_code == 302
    code = emailed_code()
    signed_in = browser.post("/accounts/login/code/confirm/", {"code": code})

    # Then they are in, with no password and no wait
    assert signed_in["Location"] == "/dashboard/"
    assert browser.get("/dashboard/").status_code == 200
    # And their password works again from there (the address is now known to the account)
    assert token(owner.email, PASSWORD, ATTACKER).status_code == 201

    # But the code works only once
    browser.post("/accounts/logout/")
    again = browser.post("/accounts/login/code/confirm/", {"code": code})
    assert again.status_code == 302 and again["Location"] != "/dashboard/"
    assert browser.get("/dashboard/").status_code == 302


def test_a_wrong_code_three_times_ends_the_attempt(owner: User, clock: Any):
    browser = Client(REMOTE_ADDR=ATTACKER)
    browser.post("/accounts/login/code/", {"email": owner.email})
    code = emailed_code()
    for _ in range(3):
        browser.post("/accounts/login/code/confirm/", {"code": "AAAAAA"})
    late = browser.post("/accounts/login/code/confirm/", {"code": code})
    assert late["Location"] == "/accounts/login/code/"
    assert browser.get("/dashboard/").status_code == 302


def test_the_login_page_offers_the_code(db: None):
    html = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/login/code/"' in html
    page = Client().get("/accounts/login/code/")
    assert page.status_code == 200 and "Sign in with a code" in page.content.decode()


def test_behind_a_proxy_the_forwarded_address_is_the_clients(owner: User, clock: Any, settings):
    # Given one trusted proxy (nginx appends the client's address to X-Forwarded-For)
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "127.0.0.1"
    for _ in range(3):
        token(owner.email, "guess", proxy, **{"X-Forwarded-For": f"10.0.0.1, {ATTACKER}"})
    # Then the attacker waits whatever they put in front, and other clients do not
    wait_of(token(owner.email, "guess", proxy, **{"X-Forwarded-For": f"1.2.3.4, {ATTACKER}"}))
    assert token(owner.email, PASSWORD, proxy, **{"X-Forwarded-For": OWNER}).status_code == 201
    # And a request that skipped the proxy is counted by its own address, not refused
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert token(owner.email, PASSWORD, OWNER, **{"X-Forwarded-For": "x"}).status_code == 201
