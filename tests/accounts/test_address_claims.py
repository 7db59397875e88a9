"""Issue 11, item 16: pre-account takeover by claiming someone else's address.

The attack: the attacker, signed in to their own account, adds the victim's address as a
secondary address (anyone can type any address; with verification off nobody confirmed
it). Before the fix the victim's sign-up was refused ("already in use"), a password reset
asked for that address reset the *attacker's* account, and the address logged in, on the
website and for an API token, as the attacker. Each step is replayed here and refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from fairlance.accounts.models import ApiToken, User
from fairlance.accounts.services import user_create
from tests.conftest import PASSWORD, assert_problem, make_user

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.com"
ATTACKER_PASSWORD = "attacker's own password 1"
VICTIM_PASSWORD = "victim's chosen password 2"


@pytest.fixture
def attacker() -> User:
    return user_create(email="mallory@example.com", password=ATTACKER_PASSWORD, email_verified=True)


def claim(attacker: User, address: str = VICTIM) -> Client:
    """The attacker adds ``address`` to their own account on allauth's email page."""
    browser = Client()
    browser.force_login(attacker)
    response = browser.post("/accounts/email/", {"action_add": "", "email": address})
    assert response.status_code == 302, response.content[:500]
    assert EmailAddress.objects.filter(user=attacker, email=address, verified=False).exists()
    mail.outbox.clear()  # the confirmation request went to the victim, who ignores it
    return browser


def links_in(message: Any) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def sign_up_victim() -> Client:
    browser = Client()
    response = browser.post(
        "/accounts/signup/",
        {"email": VICTIM, "password1": VICTIM_PASSWORD, "password2": VICTIM_PASSWORD},
    )
    assert response.status_code == 302
    return browser


def test_a_claimed_address_does_not_block_the_owners_sign_up(attacker: User) -> None:
    # Given the attacker's unconfirmed claim on the victim's address
    claim(attacker)

    # When the victim signs up with it
    sign_up_victim()

    # Then the victim has an account of their own, waiting for them to confirm the address
    # (at once, although a confirmation of the claim went to the address a moment ago)
    victim = User.objects.get(email=VICTIM)
    assert victim.pk != attacker.pk
    (message,) = mail.outbox
    assert message.to == [VICTIM]
    assert "/accounts/confirm-email/" in message.body
    assert "mallory" not in message.body

    # And confirming it makes the address the victim's and ends the attacker's claim
    confirm_url = next(u for u in links_in(message) if "/confirm-email/" in u)
    browser = Client()
    assert browser.post(confirm_url.split("8000", 1)[-1]).status_code == 302
    assert EmailAddress.objects.get(user=victim, email=VICTIM).verified
    assert not EmailAddress.objects.filter(user=attacker, email=VICTIM).exists()
    # And the victim logs in with their own password
    response = Client().post("/accounts/login/", {"login": VICTIM, "password": VICTIM_PASSWORD})
    assert response["Location"] == "/dashboard/"


def test_a_claimed_address_never_receives_the_claimers_reset_link(attacker: User) -> None:
    # Given the attacker's unconfirmed claim, and no account of the victim's yet
    claim(attacker)

    # When someone asks for a password reset for the address
    Client().post("/accounts/password/reset/", {"email": VICTIM})

    # Then the address is told it has no account, not sent a link to the attacker's
    (message,) = mail.outbox
    assert message.to == [VICTIM]
    assert "/accounts/password/reset/key/" not in message.body
    assert "/accounts/signup/" in message.body


def test_after_the_owner_signs_up_a_reset_resets_the_owners_account(attacker: User) -> None:
    claim(attacker)
    sign_up_victim()
    victim = User.objects.get(email=VICTIM)
    mail.outbox.clear()

    Client().post("/accounts/password/reset/", {"email": VICTIM})

    (message,) = mail.outbox
    link = next(u for u in links_in(message) if "/password/reset/key/" in u)
    # The key names the account it resets: the victim's (allauth's uid is base 36).
    uid = link.rsplit("/key/", 1)[1].split("-", 1)[0]
    assert int(uid, 36) == victim.pk


def test_a_claimed_address_does_not_get_the_claimer_an_api_token(api: Any, attacker: User) -> None:
    claim(attacker)

    response = api().post("auth/token", {"email": VICTIM, "password": ATTACKER_PASSWORD})

    assert_problem(response, 401, "invalid_credentials")
    assert not ApiToken.objects.exists()
    # The attacker's own address still works, so only the claim is refused
    assert (
        api()
        .post("auth/token", {"email": attacker.email, "password": ATTACKER_PASSWORD})
        .status_code
        == 201
    )


def test_a_claimed_address_does_not_log_the_claimer_in_on_the_website(attacker: User) -> None:
    claim(attacker)
    browser = Client()

    response = browser.post("/accounts/login/", {"login": VICTIM, "password": ATTACKER_PASSWORD})

    assert response.status_code == 200
    assert b"form-errors" in response.content
    assert "_auth_user_id" not in browser.session
    # And no confirmation email invites the victim to confirm the claim for the attacker
    assert mail.outbox == []


def test_a_claimed_address_does_not_open_the_admin(attacker: User) -> None:
    # Given a staff attacker (the admin's own form used to accept any stored address)
    User.objects.filter(pk=attacker.pk).update(is_staff=True, is_superuser=True)
    claim(attacker)
    browser = Client()

    # When they post the claimed address to the admin's login
    response = browser.post(
        "/admin/login/?next=/admin/", {"username": VICTIM, "password": ATTACKER_PASSWORD}
    )

    # Then the admin checks nothing itself: it sends them to the site's login
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in browser.session
    browser.post("/accounts/login/", {"login": VICTIM, "password": ATTACKER_PASSWORD})
    assert browser.get("/admin/").status_code == 302


def test_a_claimed_address_gets_no_sign_in_code(attacker: User) -> None:
    claim(attacker)

    Client().post("/accounts/login/code/", {"email": VICTIM})

    (message,) = mail.outbox
    assert message.to == [VICTIM]
    assert "code" not in message.subject.lower()


def test_the_owner_of_a_verified_address_can_still_use_it_as_a_second_address(api: Any) -> None:
    # A confirmed secondary address is a real way in: only unconfirmed ones are refused.
    owner = make_user("owner@example.com")
    EmailAddress.objects.create(user=owner, email="work@example.com", verified=True)

    response = api().post("auth/token", {"email": "work@example.com", "password": PASSWORD})

    assert response.status_code == 201


# --- A sign-up waiting for its confirmation ----------------------------------------------


def test_an_unconfirmed_sign_up_cannot_log_in_or_get_a_token(api: Any) -> None:
    # Given someone who signed up but never opened the confirmation email
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        sign_up_victim()
        mail.outbox.clear()

        # When they log in on the website later, they are asked to confirm (a new link is
        # sent: allauth sends one every few minutes at most)
        clock.shift(timedelta(minutes=5))
        browser = Client()
        response = browser.post("/accounts/login/", {"login": VICTIM, "password": VICTIM_PASSWORD})
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in browser.session
    (message,) = mail.outbox
    assert "/accounts/confirm-email/" in message.body

    # And the API gives no token either, saying why
    body = assert_problem(
        api().post("auth/token", {"email": VICTIM, "password": VICTIM_PASSWORD}),
        403,
        "email_unverified",
    )
    assert "Confirm your email address" in body["detail"]
    assert not ApiToken.objects.exists()


def test_signing_up_with_a_taken_address_answers_the_same_and_emails_the_owner() -> None:
    make_user(VICTIM)

    response = Client().post(
        "/accounts/signup/",
        {"email": VICTIM, "password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD},
    )

    # The page is the same "check your email" page as for a new address...
    assert response["Location"] == "/accounts/confirm-email/"
    assert User.objects.filter(email=VICTIM).count() == 1
    # ...and the owner hears that someone tried, instead of the attacker hearing "taken".
    (message,) = mail.outbox
    assert message.to == [VICTIM]
    assert "/accounts/confirm-email/" not in message.body
