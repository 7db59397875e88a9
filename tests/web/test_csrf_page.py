from __future__ import annotations

from django.test import Client


def test_expired_form_gets_the_friendly_csrf_page(db):
    # Given a browser whose form lost its CSRF token (an old tab, cleared cookies)
    browser = Client(enforce_csrf_checks=True)
    # When it posts the login form
    response = browser.post("/accounts/login/", {"login": "x@example.com", "password": "y"})
    # Then it gets the branded explanation, not Django's debug text or a server error
    assert response.status_code == 403
    assert "expired" in response.content.decode().lower()
