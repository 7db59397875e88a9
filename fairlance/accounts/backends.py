"""The one authentication backend: an email address and a password.

Every door that checks a password (allauth's login form and re-authentication, the API's
``POST /auth/token``) ends in ``django.contrib.auth.authenticate``, which asks this
backend. It finds accounts through ``users_by_login_address``, so an address somebody
typed into their own account without confirming it never signs anyone in. It replaces
Django's ``ModelBackend`` (which would match ``User.email`` alone) and allauth's backend
(which counts unverified addresses); permissions still come from ``ModelBackend``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from fairlance.accounts.models import User
from fairlance.accounts.selectors import users_by_login_address


class EmailBackend(ModelBackend):
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        email: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        # allauth passes ``email``; Django's own forms pass the address as ``username``.
        address = email or username or kwargs.get(User.USERNAME_FIELD)
        if not address or not password:
            return None
        users = users_by_login_address(email=str(address))
        for user in users:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        if not users:
            # Hash anyway, so an unknown address takes as long to refuse as a wrong
            # password and response times do not tell which addresses have accounts.
            User().set_password(password)
        return None
