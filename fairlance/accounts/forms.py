from __future__ import annotations

from typing import Any

from django import forms

from fairlance.accounts.services import DISPLAY_NAME_MAX, signup_display_name_clean
from fairlance.core.errors import InvalidInput


class SignupExtraForm(forms.Form):
    """Extra fields on allauth's sign-up form: how the person wants to be shown."""

    display_name = forms.CharField(
        max_length=DISPLAY_NAME_MAX, required=False, label="Display name"
    )

    def clean_display_name(self) -> str:
        try:
            return signup_display_name_clean(self.cleaned_data.get("display_name", ""))
        except InvalidInput as exc:
            raise forms.ValidationError([e["message"] for e in exc.errors]) from exc

    def signup(self, request: Any, user: Any) -> None:
        from fairlance.accounts.services import user_finish_signup

        user_finish_signup(user=user, display_name=self.cleaned_data.get("display_name", ""))
