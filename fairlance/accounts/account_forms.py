"""allauth's forms with fairlance's rules (``ACCOUNT_FORMS`` in settings names them).

allauth finds accounts by address with its own look-up, which counts every stored address,
verified or not. These forms use ``users_by_login_address`` instead, so an address someone
typed into their account without confirming it cannot block the real owner's sign-up or
receive their reset link or a sign-in code; and the password change form, which asks for
the current password, goes through the one password throttle.

(Apart from ``forms.py``: allauth imports that module's ``SignupExtraForm`` while its own
forms module is still loading, so that module cannot import allauth's forms.)
"""

from __future__ import annotations

from typing import Any

from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django import forms
from django.http import HttpRequest

from fairlance.accounts import throttle
from fairlance.accounts.selectors import address_is_verified, users_by_login_address
from fairlance.core.errors import TooManyAttempts


class SignupForm(allauth_forms.SignupForm):
    def validate_unique_email(self, value: str) -> str:
        # Taken only if the address already signs in to an account. Either way the page
        # answers the same (allauth's enumeration prevention): a taken address gets an
        # "you already have an account" email instead of a new account.
        self.account_already_exists = bool(users_by_login_address(email=value))
        return get_adapter().validate_unique_email(value)

    def save(self, request: HttpRequest) -> Any:
        user = super().save(request)
        # allauth sends one confirmation email per address every few minutes. One that
        # somebody's claim on this address caused (linking to *their* account) must not
        # hold back this new account's own: the owner would find only the claimer's link.
        ratelimit.clear(request, action="confirm_email", key=self.cleaned_data["email"].lower())
        return user


class ResetPasswordForm(allauth_forms.ResetPasswordForm):
    def clean_email(self) -> str:
        email = super().clean_email()
        self.users = [u for u in users_by_login_address(email=email) if u.is_active]
        return email


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    def clean_email(self) -> str:
        email = super().clean_email()
        if email:
            # Only a verified address gets a code. Entering one verifies the address, and a
            # code sent for someone else's unconfirmed sign-up would hand the mailbox's
            # owner an account whose password its creator still knows.
            users = [
                u
                for u in users_by_login_address(email=email)
                if u.is_active and address_is_verified(user=u, email=email)
            ]
            self._user = users[0] if users else None
        return email


class ChangePasswordForm(allauth_forms.ChangePasswordForm):
    def clean_oldpassword(self) -> str:
        assert self.user is not None
        request = allauth_context.request
        address = throttle.client_address(request) if request is not None else "unknown"
        try:
            with throttle.password_attempt(
                account=throttle.account_for_user(self.user),  # type: ignore[arg-type]
                address=address,
            ) as attempt:
                value = super().clean_oldpassword()
                attempt.succeeded()
        except TooManyAttempts as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from None
        return value
