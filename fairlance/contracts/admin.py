"""Raw data views for operators. State changes go through the engine, never the admin."""

from __future__ import annotations

from django.contrib import admin

from fairlance.contracts.models import Contract, ContractEvent, PurchaseAttempt, Timer


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "state",
        "client",
        "freelancer",
        "price_minor",
        "late",
        "outcome",
        "created_at",
    )
    list_filter = ("state", "outcome", "fault", "late")
    search_fields = ("id", "client__email", "freelancer__email")


@admin.register(ContractEvent)
class ContractEventAdmin(ReadOnlyAdmin):
    list_display = ("contract", "seq", "name", "actor_role", "from_state", "to_state", "created_at")
    list_filter = ("name",)


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ("contract", "transition", "fire_at", "status", "attempts")
    list_filter = ("status", "transition")


@admin.register(PurchaseAttempt)
class PurchaseAttemptAdmin(ReadOnlyAdmin):
    """Where an operator looks when a payment's purchase is in question."""

    list_display = ("reference", "project", "state", "contract", "created_at", "settled_at")
    list_filter = ("state",)
    search_fields = ("reference",)
