"""``fairlance lifecycle_doc [--check]``: write (or verify) docs/lifecycle.md and the
transition-input table of docs/api.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fairlance.contracts.lifecycle_doc import (
    API_DOC_PATH,
    DOC_PATH,
    render_api_doc,
    render_lifecycle,
)


class Command(BaseCommand):
    help = (
        "Generate docs/lifecycle.md and the transition-input table of docs/api.md from the "
        "contract transition table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Fail if either file is out of date."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        api_now = API_DOC_PATH.read_text()
        wanted = {DOC_PATH: render_lifecycle(), API_DOC_PATH: render_api_doc(api_now)}
        if options["check"]:
            stale = [
                str(path)
                for path, text in wanted.items()
                if (path.read_text() if path.exists() else "") != text
            ]
            if stale:
                raise CommandError(
                    f"{', '.join(stale)} out of date; run `fairlance lifecycle_doc`."
                )
            return
        for path, text in wanted.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            self.stdout.write(f"wrote {path}")
