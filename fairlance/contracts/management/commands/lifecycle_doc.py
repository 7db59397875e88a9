"""``fairlance lifecycle_doc [--check]``: write (or verify) docs/lifecycle.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fairlance.contracts.lifecycle_doc import DOC_PATH, render_lifecycle


class Command(BaseCommand):
    help = "Generate docs/lifecycle.md from the contract transition table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if the file is out of date.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = render_lifecycle()
        if options["check"]:
            current = DOC_PATH.read_text() if DOC_PATH.exists() else ""
            if current != text:
                raise CommandError(f"{DOC_PATH} is out of date; run `fairlance lifecycle_doc`.")
            return
        DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOC_PATH.write_text(text)
        self.stdout.write(f"wrote {DOC_PATH}")
