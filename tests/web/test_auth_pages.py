"""Allauth's pages in the site layout: log in, sign up, log out, password reset."""

from __future__ import annotations

import pytest
from django.core import mail

from fairlance.accounts.models import User, WorkingCalendar
from tests.conftest import PASSWORD
from tests.web.conftest import login

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/accounts/login/", "Welcome back"),
        ("/accounts/signup/", "Create your account"),
        ("/accounts/password/reset/", "Reset your password"),
        ("/accounts/password/reset/done/", "Check your email"),
        ("/accounts/password/reset/key/1-bad-key/", "This link has expired"),
    ],
)
def test_account_pages_use_the_site_layout(path, heading):
    response = login(None).get(path)
    html = response.content.decode()
    assert response.status_code == 200
    assert heading in html
    assert 'class="skip-link"' in html and "fairlance/app.css" in html


def test_signup_with_display_name_creates_user_and_calendar():
    response = login(None).post(
        "/accounts/signup/",
        {
            "email": "newbie@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "display_name": "New Bie",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="newbie@example.com")
    assert user.display_name == "New Bie"
    assert WorkingCalendar.objects.filter(user=user).exists()


def test_signup_with_bad_input_rerenders_with_errors():
    response = login(None).post(
        "/accounts/signup/", {"email": "not-an-email", "password1": "x", "password2": "y"}
    )
    assert response.status_code == 200
    assert b"field-errors" in response.content
    assert not User.objects.exists()


def test_login_with_wrong_password_shows_an_error(freelancer):
    response = login(None).post(
        "/accounts/login/", {"login": "fran@example.com", "password": "wrong password"}
    )
    assert response.status_code == 200
    assert b"form-errors" in response.content


def test_login_then_logout(freelancer):
    client = login(None)
    response = client.post("/accounts/login/", {"login": "fran@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.get("/accounts/logout/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_password_reset_sends_a_link(freelancer):
    response = login(None).post("/accounts/password/reset/", {"email": "fran@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_password_reset_email_names_the_configured_site_not_the_request_host(freelancer, settings):
    # Given a site configured with its own name and address, reached here through another
    # host (a proxy, the demo's port)
    settings.FAIRLANCE_SITE_NAME = "Fairlance Market"
    settings.FAIRLANCE_SITE_URL = "https://market.example.org"
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    # When someone asks for a password reset
    response = login(None).post(
        "/accounts/password/reset/", {"email": "fran@example.com"}, HTTP_HOST="127.0.0.1:8101"
    )
    assert response.status_code == 302
    # Then the email is named after the site and links to its address, never the host
    (message,) = mail.outbox
    assert message.subject.startswith("[Fairlance Market] ")
    assert "Hello from Fairlance Market!" in message.body
    assert "https://market.example.org/accounts/password/reset/key/" in message.body
    assert "127.0.0.1" not in message.subject + message.body


def test_verification_email_names_the_configured_site(settings):
    settings.FAIRLANCE_SITE_NAME = "Fairlance Market"
    settings.FAIRLANCE_SITE_URL = "https://market.example.org"
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    login(None).post(
        "/accounts/signup/",
        {"email": "newbie@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    (message,) = mail.outbox
    assert message.subject.startswith("[Fairlance Market] ")
    assert "https://market.example.org/accounts/confirm-email/" in message.body
    assert "testserver" not in message.subject + message.body
