"""The freelancer's side of the catalog: "My projects", the project editor, the gallery."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from fairlance.catalog import services
from fairlance.catalog.models import Project, ProjectStatus
from fairlance.catalog.selectors import access_project_for_owner, projects_of_owner
from fairlance.core.errors import Conflict, FairlanceError, InvalidInput, NotFound
from fairlance.web import presenters
from fairlance.web.forms import (
    MAX_TIERS,
    AddOnForm,
    FaqForm,
    GalleryForm,
    ProjectForm,
    QuestionForm,
    TierForm,
    attach_errors,
    rows_of,
    to_major,
)
from fairlance.web.views.common import current_user, parse_id

# (prefix, form class, most rows, blank rows offered on a fresh page)
SECTIONS: dict[str, tuple[type[forms.Form], int, int]] = {
    "tiers": (TierForm, MAX_TIERS, 1),
    "addons": (AddOnForm, 10, 1),
    "questions": (QuestionForm, 10, 1),
    "faq": (FaqForm, 10, 1),
}


def _owned(request: HttpRequest, project_id: int, *, for_update: bool = False) -> Project:
    try:
        return access_project_for_owner(
            user=current_user(request), project_id=project_id, for_update=for_update
        )
    except NotFound:
        raise Http404 from None


@login_required
def my_projects(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    projects = [
        {"project": p, "actions": presenters.project_actions(p)}
        for p in projects_of_owner(user=user)
    ]
    return render(request, "web/my_projects.html", {"projects": projects})


STATUS_ACTIONS = {
    "publish": services.project_publish,
    "pause": services.project_pause,
    "resume": services.project_resume,
    "archive": services.project_archive,
}
DONE_MESSAGES = {
    "publish": "“{title}” is {status}.",
    "pause": "“{title}” is paused: nobody can buy it until you resume it.",
    "resume": "“{title}” is back on sale.",
    "archive": "“{title}” is archived.",
}


@login_required
@require_POST
def project_status_action(request: HttpRequest, project_id: int, action: str) -> HttpResponse:
    change = STATUS_ACTIONS.get(action)
    if change is None:
        raise Http404
    project = _owned(request, project_id)
    try:
        updated = change(project=project, actor=current_user(request))
    except NotFound:
        raise Http404 from None
    except FairlanceError as exc:
        messages.error(request, _error_text(exc))
    else:
        status = updated.get_status_display().lower() if updated is not None else "updated"
        text = DONE_MESSAGES[action].format(title=project.title, status=status)
        lag = settings.FAIRLANCE_SEARCH_RESULTS_SECONDS
        if updated is not None and updated.status == ProjectStatus.PUBLISHED and lag > 0:
            # Search answers repeated searches from rankings up to this old (docs/search.md).
            text += f" It shows in search results within {lag} seconds."
        messages.success(request, text)
    target = request.POST.get("next") or ""
    if target == "edit":
        return redirect("web:project_edit", project_id=project.pk)
    return redirect("web:my_projects")


def _error_text(exc: FairlanceError) -> str:
    if exc.errors:
        return " ".join(str(e.get("message")) for e in exc.errors)
    return exc.detail


# ---- Editor ---------------------------------------------------------------------------


def _initial_rows(project: Project | None) -> dict[str, list[dict[str, Any]]]:
    if project is None:
        return {
            "tiers": [{"name": "Basic", "revisions": 1}],
            "addons": [],
            "questions": [],
            "faq": [],
        }
    return {
        "tiers": [
            {
                "name": t.name,
                "price": to_major(t.price_minor),
                "delivery_days": t.delivery_days,
                "revisions": t.revisions,
                "deliverables": "\n".join(t.deliverables or []),
                "description": t.description,
            }
            for t in project.tiers.all()
        ],
        "addons": [
            {
                "title": a.title,
                "price": to_major(a.price_minor),
                "extra_delivery_days": a.extra_delivery_days,
            }
            for a in project.addons.all()
        ],
        "questions": [
            {
                "prompt": q.prompt,
                "kind": q.kind,
                "choices": "\n".join(q.choices or []),
                "required": q.required,
            }
            for q in project.questions.all()
        ],
        "faq": [{"question": f.question, "answer": f.answer} for f in project.faq.all()],
    }


def _formsets(data: QueryDict | None, project: Project | None) -> dict[str, forms.BaseFormSet]:
    initial = _initial_rows(project) if data is None else {}
    out: dict[str, forms.BaseFormSet] = {}
    for prefix, (form_class, most, blanks) in SECTIONS.items():
        rows = initial.get(prefix, [])
        extra = 0 if data is not None else max(0, min(blanks, most - len(rows)))
        if data is None and not rows and prefix == "tiers":
            extra = 0
        factory = forms.formset_factory(
            form_class, extra=extra, max_num=most, absolute_max=most, validate_max=True
        )
        out[prefix] = factory(data, initial=rows or None, prefix=prefix)
    return out


def _project_initial(project: Project | None) -> dict[str, Any]:
    if project is None:
        return {"purchase_mode": "instant", "capacity": 20, "delivery_in_working_days": True}
    return {
        "title": project.title,
        "category_slug": project.category.slug,
        "description": project.description,
        "tags": ", ".join(project.tags or []),
        "purchase_mode": project.purchase_mode,
        "delivery_in_working_days": project.delivery_in_working_days,
        "capacity": project.capacity,
    }


def _render_editor(
    request: HttpRequest,
    *,
    project: Project | None,
    form: ProjectForm,
    formsets: dict[str, forms.BaseFormSet],
    gallery_form: GalleryForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "web/project_edit.html",
        {
            "project": project,
            "form": form,
            "formsets": formsets,
            "tiers": formsets["tiers"],
            "addons": formsets["addons"],
            "questions": formsets["questions"],
            "faq": formsets["faq"],
            "gallery_form": gallery_form or GalleryForm(),
            "gallery": list(project.gallery.all()) if project is not None else [],
            "actions": presenters.project_actions(project) if project is not None else [],
        },
        status=status,
    )


def _with_another_row(data: QueryDict, prefix: str) -> QueryDict:
    """The posted data plus one more empty row in ``prefix``: "Add another" without JS."""
    copy = data.copy()
    _form_class, most, _blanks = SECTIONS[prefix]
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(copy.get(key, "0"))
    except ValueError:
        total = 0
    copy[key] = str(max(0, min(most, total + 1)))
    return copy


def _save_editor(request: HttpRequest, project: Project | None) -> HttpResponse:
    user = current_user(request)
    more = request.POST.get("more", "")
    data = _with_another_row(request.POST, more) if more in SECTIONS else request.POST
    form = ProjectForm(data, initial=_project_initial(project))
    formsets = _formsets(data, project)
    if more in SECTIONS:
        # Only growing the form: show it again with the extra row, save nothing yet.
        for fs in formsets.values():
            fs.is_valid()
        form.is_valid()
        form.errors.clear()
        for fs in formsets.values():
            for f in fs.forms:
                f.errors.clear()
            fs._non_form_errors = fs.error_class()  # type: ignore[attr-defined]
        return _render_editor(request, project=project, form=form, formsets=formsets)
    valid = form.is_valid()
    valid = all([fs.is_valid() for fs in formsets.values()]) and valid
    if not valid:
        return _render_editor(request, project=project, form=form, formsets=formsets, status=422)
    rows = {name: rows_of(fs) for name, fs in formsets.items()}
    fields: dict[str, Any] = {
        "title": form.cleaned_data["title"],
        "category_slug": form.cleaned_data["category_slug"],
        "description": form.cleaned_data["description"],
        "tags": form.tag_list(),
        "purchase_mode": form.cleaned_data["purchase_mode"],
        "delivery_in_working_days": bool(form.cleaned_data["delivery_in_working_days"]),
        "tiers": tuple(r.to_input() for r in rows["tiers"]),
        "addons": tuple(r.to_input() for r in rows["addons"]),
        "questions": tuple(r.to_input() for r in rows["questions"]),
        "faq": tuple(r.to_input() for r in rows["faq"]),
    }
    capacity = form.cleaned_data.get("capacity")
    try:
        if project is None:
            saved = services.project_create(freelancer=user, capacity=capacity, **fields)
        else:
            if capacity is not None:
                fields["capacity"] = capacity
            saved = services.project_update(project=project, actor=user, **fields)
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        attach_errors(exc, form, {name: (formsets[name], rows[name]) for name in formsets})
        return _render_editor(request, project=project, form=form, formsets=formsets, status=422)
    except (Conflict, FairlanceError) as exc:
        form.add_error(None, _error_text(exc))
        return _render_editor(request, project=project, form=form, formsets=formsets, status=409)
    messages.success(
        request,
        "Project saved." if project else "Draft created. Add images, then publish when ready.",
    )
    return redirect("web:project_edit", project_id=saved.pk)


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save_editor(request, None)
    form = ProjectForm(initial=_project_initial(None))
    return _render_editor(request, project=None, form=form, formsets=_formsets(None, None))


@login_required
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _owned(request, project_id)
    if request.method == "POST":
        return _save_editor(request, project)
    form = ProjectForm(initial=_project_initial(project))
    return _render_editor(request, project=project, form=form, formsets=_formsets(None, project))


@login_required
@require_POST
def gallery_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _owned(request, project_id)
    gallery_form = GalleryForm(request.POST, request.FILES)
    if gallery_form.is_valid():
        try:
            services.gallery_image_add(
                project=project,
                actor=current_user(request),
                upload=gallery_form.cleaned_data["upload"],
                alt_text=gallery_form.cleaned_data.get("alt_text") or "",
            )
        except NotFound:
            raise Http404 from None
        except FairlanceError as exc:
            if isinstance(exc, InvalidInput) and exc.errors:
                for err in exc.errors:
                    name = str(err.get("field"))
                    gallery_form.add_error(
                        name if name in gallery_form.fields else "upload", str(err.get("message"))
                    )
            else:
                gallery_form.add_error("upload", _error_text(exc))
        else:
            messages.success(request, "Image added to the gallery.")
            return redirect(reverse("web:project_edit", args=[project.pk]) + "#gallery")
    form = ProjectForm(initial=_project_initial(project))
    return _render_editor(
        request,
        project=project,
        form=form,
        formsets=_formsets(None, project),
        gallery_form=gallery_form,
        status=422,
    )


@login_required
@require_POST
def gallery_remove(request: HttpRequest, project_id: int) -> HttpResponse:
    project = _owned(request, project_id)
    image_id = parse_id(request.POST.get("image_id", ""))
    try:
        services.gallery_image_remove(
            project=project, actor=current_user(request), image_id=image_id
        )
    except NotFound:
        raise Http404 from None
    except FairlanceError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Image removed.")
    return redirect(reverse("web:project_edit", args=[project.pk]) + "#gallery")
