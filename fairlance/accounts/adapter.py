"""django-allauth's account adapter: fairlance's rules at allauth's documented hooks.

- Emails name the configured site and link to it. Without ``django.contrib.sites`` allauth
  names the site after the request's host and builds links from it, so a password reset
  asked for through a proxy or the demo's port would say "Hello from 127.0.0.1:8101!" and
  link there. ``send_mail`` and ``format_email_subject`` replace both with
  ``FAIRLANCE_SITE_NAME`` and ``FAIRLANCE_SITE_URL`` for every allauth email.
- Every password allauth checks (login, re-authentication) goes through the one password
  throttle (``accounts.throttle``), and every sign-in makes the address known to it.
- Every password allauth sets (change, reset) goes through ``user_set_password``, which
  revokes the user's API tokens.
- Verifying an address drops other accounts' unverified claims on it.
- Sign-up does not tell who is registered (issue 11, item 21): see
  ``send_account_already_exists_mail``.
"""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.encoding import force_str

from fairlance.accounts import services, throttle
from fairlance.accounts.models import User
from fairlance.core.errors import TooManyAttempts
from fairlance.core.site import current_site, rebase_url, site_name


class AccountAdapter(DefaultAccountAdapter):
    def format_email_subject(self, subject: str) -> str:
        return f"[{site_name()}] {force_str(subject)}"

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        context = {**context, "current_site": current_site()}
        # Every link allauth put in the context (``password_reset_url``,
        # ``activate_url``, ``signup_url``...) was built from the request's host.
        for key, value in list(context.items()):
            if key.endswith("_url") and isinstance(value, str) and "://" in value:
                context[key] = rebase_url(value)
        super().send_mail(template_prefix, email, context)

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        email = str(credentials.get("email") or credentials.get("username") or "")
        try:
            with throttle.password_attempt(
                account=throttle.account_for_email(email),
                address=throttle.client_address(request),
            ) as attempt:
                user = super().authenticate(request, **credentials)
                if user is not None:
                    attempt.succeeded()
        except TooManyAttempts as exc:
            # The login form shows it above the fields, next to the link to a code by email.
            raise ValidationError(exc.detail, code=exc.code) from None
        return user

    def login(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        super().login(request, user)
        # However the person got in (password, emailed code, confirmation link), they are
        # the owner: their address is known to the throttle from now on.
        assert isinstance(user, User)
        throttle.password_throttle_unlock(
            account=throttle.account_for_user(user), address=throttle.client_address(request)
        )

    def set_password(self, user: AbstractBaseUser, password: str) -> None:
        assert isinstance(user, User)
        revoked = services.user_set_password(user=user, password=password)
        request = allauth_context.request
        if revoked and request is not None:
            messages.info(
                request,
                f"Your {revoked} API token{'s were' if revoked != 1 else ' was'} revoked with "
                "the old password; create new ones under Settings, API tokens.",
            )

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            services.email_claims_release(
                email=email_address.email,
                owner=email_address.user,  # type: ignore[arg-type]
            )
        return bool(confirmed)

    def send_account_already_exists_mail(self, email: str) -> None:
        # A sign-up with a new address hashes its password; one with a taken address
        # must cost the same, or the response time would tell who is registered.
        make_password(secrets.token_urlsafe(16))
        super().send_account_already_exists_mail(email)
