"""The synonym list search uses (docs/search.md, "Synonyms"): operators edit it here."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from fairlance.catalog.models import SearchSynonym
from fairlance.catalog.search.query import synonym_entry_words


class SearchSynonymForm(forms.ModelForm):
    class Meta:
        model = SearchSynonym
        fields = ("words", "note")

    def clean_words(self) -> str:
        words = synonym_entry_words(self.cleaned_data["words"])
        if len(words) < 2:
            raise forms.ValidationError(
                "Give two or more single words separated by commas, e.g. “wp, wordpress”."
            )
        return ", ".join(words)


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    form = SearchSynonymForm
    list_display = ("words", "note", "updated_at")
    search_fields = ("words",)
