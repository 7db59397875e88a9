"""Helpers for file tests."""

from __future__ import annotations

from django.core.files.storage import default_storage


def stored_files() -> set[str]:
    """Every file under the uploads folder of storage (empty folders do not count)."""
    if not default_storage.exists("uploads"):
        return set()
    folders, _ = default_storage.listdir("uploads")
    return {
        f"uploads/{folder}/{name}"
        for folder in folders
        for name in default_storage.listdir(f"uploads/{folder}")[1]
    }
