"""Files sent with web forms: uploads first, then the transition, and nothing lost.

Every file a form sends goes through ``upload_create`` (the domain's rules, the same as the
API's) *before* the transition runs, and the transition gets the upload ids. What happens
to them then:

- the transition succeeds: they are the contract's;
- a file is refused, or the form has other errors, and nothing was tried: the files that
  were accepted stay, unattached, and the page shows them as "Attached: logo.svg" with
  their id in a checkbox, so the person does not pick them again (``offered``);
- the transition was tried and failed: the uploads this request made are deleted
  (``discard``); ones offered back by an earlier page stay offered.

Unattached uploads nobody uses are deleted by the worker after a day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import HttpRequest

from fairlance.core.errors import FairlanceError
from fairlance.files.kinds import Purpose
from fairlance.files.models import Upload
from fairlance.files.selectors import uploads_unattached_of
from fairlance.files.services import upload_create, uploads_discard

# A page never offers back more files than this, whatever the browser sends.
MAX_OFFERED = 20


def _message(exc: FairlanceError) -> str:
    if exc.errors:
        return " ".join(str(e.get("message", "")) for e in exc.errors)
    return exc.detail or exc.title


@dataclass
class FormFiles:
    """The uploads one POST made or named, by form field."""

    user: Any
    purpose: Purpose
    created: list[Upload] = field(default_factory=list)
    # form field -> the upload id it answers with (new, or kept from the page before)
    ids: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def take(self, name: str, files: list[Any], kept: list[str], *, replace: bool = False) -> None:
        """Upload ``files`` sent in form field ``name``; ``kept`` are ids it already had.

        ``replace``: a new file that is accepted takes the place of the kept ones (a
        question has one file); otherwise new files are added to them.
        """
        new: list[str] = []
        for upload in files:
            try:
                made = upload_create(uploader=self.user, purpose=self.purpose, content=upload)
            except FairlanceError as exc:
                self.errors.setdefault(name, []).append(_message(exc))
                continue
            self.created.append(made)
            new.append(str(made.public_id))
        ids = [str(k)[:64] for k in kept[:MAX_OFFERED]]
        ids = new if replace and new else ids + new
        if ids:
            self.ids[name] = ids

    def discard(self) -> None:
        """The transition failed: delete what this request uploaded (not earlier pages')."""
        uploads_discard(uploader=self.user, uploads=self.created)
        made = {str(u.public_id) for u in self.created}
        self.ids = {k: [i for i in v if i not in made] for k, v in self.ids.items()}
        self.created = []

    def offered(self, name: str) -> list[Upload]:
        """The uploads to show as attached in field ``name``: only the user's own."""
        return uploads_unattached_of(
            uploader=self.user, purpose=self.purpose, public_ids=self.ids.get(name, [])
        )

    def show_errors(self, form: forms.Form) -> None:
        form.errors  # noqa: B018 - runs the form's own validation first
        for name, messages in self.errors.items():
            for message in messages:
                form.add_error(name if name in form.fields else None, message)


def question_files(request: HttpRequest, questions: list[dict[str, Any]], user: Any) -> FormFiles:
    """Upload the files a requirements form sent for its file questions (``q_<id>``).

    A new file replaces the one the page offered back (``q_<id>_upload``).
    """
    files = FormFiles(user=user, purpose=Purpose.REQUIREMENT)
    for q in questions:
        if q.get("kind") != "file":
            continue
        name = f"q_{q['id']}"
        files.take(
            name,
            request.FILES.getlist(name)[:1],
            request.POST.getlist(f"{name}_upload")[:1],
            replace=True,
        )
    return files


def file_answers(files: FormFiles) -> dict[str, str]:
    """Answers of the file questions: question id -> upload id."""
    return {name.removeprefix("q_"): ids[0] for name, ids in files.ids.items() if ids}


def offer_back(form: forms.Form, files: FormFiles) -> None:
    """Show each file question's upload as attached when the form is shown again."""
    for name in files.ids:
        offered = files.offered(name)
        if name in form.fields and offered:
            form.fields[name].offered_upload = offered[0]  # type: ignore[attr-defined]
