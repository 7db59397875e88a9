"""Read-only admin views of the payment attempts log and the refund/void intents."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fairlance.payments.models import PaymentAttempt, ProviderIntent


@admin.register(PaymentAttempt)
class PaymentAttemptAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "kind", "reference", "amount_minor", "ok", "error_code")
    list_filter = ("kind", "ok", "provider")
    search_fields = ("reference", "provider_ref", "charge_ref")

    # A log is evidence: nobody edits it.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ProviderIntent)
class ProviderIntentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "kind", "reference", "amount_minor", "status", "attempts")
    list_filter = ("kind", "status")
    search_fields = ("reference", "payment_ref", "provider_ref")

    # The worker owns these rows; an operator reads them (a failed one is settled in the
    # processor's own dashboard), never edits them here.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
