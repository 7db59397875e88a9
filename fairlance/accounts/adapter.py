"""django-allauth's account adapter: its emails name the configured site and link to it.

Without ``django.contrib.sites`` allauth names the site after the request's host and builds
links from it, so a password reset asked for through a proxy or the demo's port says
"Hello from 127.0.0.1:8101!" and links there. The adapter's documented hooks
(``send_mail``, ``format_email_subject``) replace both with ``FAIRLANCE_SITE_NAME`` and
``FAIRLANCE_SITE_URL`` for every allauth email: verification, password reset, "account
already exists" and the rest.

It also keeps sign-up from telling who is registered (issue 11, item 21): see
``send_account_already_exists_mail``.
"""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.hashers import make_password
from django.utils.encoding import force_str

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

    def send_account_already_exists_mail(self, email: str) -> None:
        # A sign-up with a new address hashes its password; one with a taken address
        # must cost the same, or the response time would tell who is registered.
        make_password(secrets.token_urlsafe(16))
        super().send_account_already_exists_mail(email)
