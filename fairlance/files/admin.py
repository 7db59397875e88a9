"""Raw data for operators: uploads, read-only (files are downloaded through their contract)."""

from __future__ import annotations

from django.contrib import admin

from fairlance.contracts.admin import ReadOnlyAdmin
from fairlance.files.models import Upload


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin):
    list_display = ("public_id", "name", "purpose", "uploader", "contract", "size", "created_at")
    list_filter = ("purpose",)
    search_fields = ("public_id", "name", "uploader__email")
    # The stored name is not a URL anyone serves; the admin shows the facts, not a link.
    exclude = ("file",)
