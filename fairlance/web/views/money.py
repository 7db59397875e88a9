"""The balance page: pending and available money, upcoming clearances, payouts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from fairlance.core.errors import FairlanceError
from fairlance.ledger.selectors import balances_for_user, upcoming_clearances
from fairlance.ledger.services import payout_request
from fairlance.web import contract_presenters as cp
from fairlance.web.forms import PriceField, to_minor
from fairlance.web.views.common import current_user


class PayoutForm(forms.Form):
    amount = PriceField(label="Amount to pay out", help_text="From your available balance.")


@login_required
def balance(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    status = 200
    if request.method == "POST":
        form = PayoutForm(request.POST)
        if form.is_valid():
            amount = to_minor(form.cleaned_data["amount"]) or 0
            try:
                payout_request(user=user, amount=amount)
            except FairlanceError as exc:
                # Range and balance rules live in payout_request (shared with the API).
                form.add_error("amount", exc.detail or exc.title)
                status = exc.status
            else:
                messages.success(request, "Payout sent. It reaches your bank in a few days.")
                return redirect("web:balance")
        else:
            status = 400
    else:
        form = PayoutForm()
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
    return render(
        request,
        "money/balance.html",
        {
            "pending": balances["pending"],
            "available": balances["available"],
            "clearances": clearances,
            "form": form,
            "tz_name": tz_name,
        },
        status=status,
    )
