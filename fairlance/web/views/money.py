"""The balance page: pending and available money, upcoming clearances, payouts."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from fairlance.core.errors import FairlanceError
from fairlance.core.idempotency import idempotent
from fairlance.ledger.selectors import balances_for_user, upcoming_clearances
from fairlance.ledger.services import MAX_MOVE_MINOR, payout_request
from fairlance.web import contract_presenters as cp
from fairlance.web.forms import PriceField, to_minor
from fairlance.web.views.common import current_user


class PayoutForm(forms.Form):
    def __init__(self, *args: Any, available: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The input offers what payout_request accepts: a cent up to the available
        # balance (which the service checks again under the account's lock). With nothing
        # available the service's own refusal says so.
        self.fields["amount"] = PriceField(
            min_minor=1,
            max_minor=available if available >= 1 else MAX_MOVE_MINOR,
            label="Amount to pay out",
            help_text="From your available balance.",
        )


@login_required
def balance(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = PayoutForm(
        request.POST if request.method == "POST" else None,
        available=balances_for_user(user.pk)["available"],
    )

    def render_page(status: int) -> HttpResponse:
        now = timezone.now()
        tz_name = cp.zone_of(user)
        balances = balances_for_user(user.pk)
        clearances = [
            {
                "amount": c.amount,
                "local": cp.local_time(c.available_at, tz_name),
                "relative": cp.relative(c.available_at, now),
                "contract_id": c.contract_id,
            }
            for c in upcoming_clearances(user_id=user.pk)
        ]
        context = {
            "pending": balances["pending"],
            "available": balances["available"],
            "clearances": clearances,
            "form": form,
            "tz_name": tz_name,
            # A fresh key per render: a double-submitted payout is paid once.
            "payout_key": uuid.uuid4().hex,
        }
        return render(request, "money/balance.html", context, status=status)

    if request.method != "POST":
        return render_page(200)
    if not form.is_valid():
        return render_page(400)
    amount = to_minor(form.cleaned_data["amount"]) or 0

    def pay_out() -> HttpResponse:
        try:
            payout_request(user=user, amount=amount)
        except FairlanceError as exc:
            # Range and balance rules live in payout_request (shared with the API).
            form.add_error("amount", exc.detail or exc.title)
            return render_page(exc.status)
        messages.success(request, "Payout sent. It reaches your bank in a few days.")
        return redirect("web:balance")

    response = idempotent(
        request,
        "web:payout",
        {"amount": amount},
        pay_out,
        key=request.POST.get("payout_key") or None,
    )
    if response.get("Content-Type", "").startswith("application/problem+json"):
        messages.info(request, "This payout was already submitted.")
        return redirect("web:balance")
    return response
