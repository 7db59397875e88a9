from __future__ import annotations

from typing import Any

from django import forms


class SignupExtraForm(forms.Form):
    """Extra fields on allauth's sign-up form: how the person wants to be shown."""

    display_name = forms.CharField(max_length=80, required=False, label="Display name")

    def signup(self, request: Any, user: Any) -> None:
        from fairlance.accounts.services import user_finish_signup

        user_finish_signup(user=user, display_name=self.cleaned_data.get("display_name", ""))
