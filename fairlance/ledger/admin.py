"""Read-only admin views of the ledger: raw data for operators, never a way to edit money."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fairlance.ledger.models import JournalEntry, LedgerAccount, PendingClearance, Posting


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # Money changes only through ledger.services; the admin must not offer a side door.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PostingInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Posting
    fields = ("account", "amount")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "balance", "user")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ("reference", "memo", "contract_id", "created_at")
    search_fields = ("reference", "memo")
    inlines = (PostingInline,)


@admin.register(PendingClearance)
class PendingClearanceAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "user",
        "amount",
        "available_at",
        "released_entry",
        "blocked_reason",
    )
    list_filter = (("released_entry", admin.EmptyFieldListFilter),)
