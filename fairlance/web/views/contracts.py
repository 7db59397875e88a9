"""Checkout, the requirements form and the contract room.

Views parse input and call one domain function: ``contract_purchase`` to buy, the engine's
``apply_transition`` for everything after. Which buttons show is the engine's answer
(``available_transitions``), dressed by ``contract_presenters``; no rule lives here.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from fairlance.accounts.models import User
from fairlance.catalog.models import Project
from fairlance.catalog.selectors import project_availability, project_detail_for_viewer
from fairlance.contracts import process
from fairlance.contracts.actions import DELIVERY_EXTENSIONS, MAX_DELIVERY_FILE_BYTES
from fairlance.contracts.deadlines import open_clocks
from fairlance.contracts.engine import Actor, apply_transition, available_transitions
from fairlance.contracts.models import Contract, Delivery, DeliveryFile, Fault
from fairlance.contracts.selectors import access_contract, contract_events
from fairlance.contracts.services import contract_purchase, contract_transition
from fairlance.core.errors import FairlanceError, InvalidInput, NotFound
from fairlance.core.idempotency import idempotent
from fairlance.core.money import format_minor
from fairlance.core.policy import current_policy, policy_for_version
from fairlance.ledger.accounts import escrow
from fairlance.ledger.selectors import balance
from fairlance.payments.provider import (
    CARD_DECLINED,
    CARD_EXPIRED_HOLD,
    CARD_INSUFFICIENT_FUNDS,
    CARD_SUCCESS,
)
from fairlance.web import contract_presenters as cp
from fairlance.web import presenters
from fairlance.web.forms import PriceField, to_minor
from fairlance.web.views.common import current_user, require_operator

TEST_CARDS = (
    (CARD_SUCCESS, "succeeds"),
    (CARD_DECLINED, "is declined"),
    (CARD_INSUFFICIENT_FUNDS, "fails with insufficient funds"),
    (CARD_EXPIRED_HOLD, "holds a request, but the hold expires before it is accepted"),
)
# Requirement files follow the same rules as delivery files (contracts.actions).
ALLOWED_SUFFIXES = DELIVERY_EXTENSIONS
MAX_FILE_BYTES = MAX_DELIVERY_FILE_BYTES


# --- forms ------------------------------------------------------------------------------


def _question_fields(questions: list[dict[str, Any]]) -> dict[str, forms.Field]:
    """One form field per snapshot question, named ``q_<id>``."""
    out: dict[str, forms.Field] = {}
    for q in questions:
        kind = q.get("kind", "text")
        choices = [(c, c) for c in q.get("choices", [])]
        common: dict[str, Any] = {"label": q["prompt"], "required": bool(q.get("required"))}
        f: forms.Field
        if kind == "single":
            f = forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        elif kind == "multiple":
            f = forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        elif kind == "file":
            f = forms.FileField(help_text="One file, at most 10 MB.", **common)
        else:
            f = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), **common)
        out[f"q_{q['id']}"] = f
    return out


def _check_upload(upload: UploadedFile) -> str | None:
    """Why an upload is refused, or None."""
    name = upload.name or ""
    if PurePath(name).suffix.lower() not in ALLOWED_SUFFIXES:
        return f"{name}: this file type is not accepted."
    if (upload.size or 0) > MAX_FILE_BYTES:
        return f"{name}: files may be at most 10 MB."
    return None


class QuestionsForm(forms.Form):
    def __init__(self, *args: Any, questions: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fields.update(_question_fields(questions))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for q in self.questions:
            value = data.get(f"q_{q['id']}")
            if isinstance(value, UploadedFile) and (problem := _check_upload(value)):
                self.add_error(f"q_{q['id']}", problem)
        return data

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"q_{q['id']}"] for q in self.questions]


class CheckoutForm(QuestionsForm):
    tier = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Package")
    addons = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, required=False, label="Add-ons"
    )
    card_number = forms.CharField(
        max_length=40,
        label="Card number",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"}),
    )

    def __init__(self, *args: Any, project: Project, ask_questions: bool, **kwargs: Any) -> None:
        questions = (
            [
                {
                    "id": q.pk,
                    "prompt": q.prompt,
                    "kind": q.kind,
                    "choices": list(q.choices),
                    "required": q.required,
                }
                for q in project.questions.all()
            ]
            if ask_questions
            else []
        )
        super().__init__(*args, questions=questions, **kwargs)
        self.fields["tier"].choices = [  # type: ignore[attr-defined]
            (t.pk, t.name) for t in project.tiers.all()
        ]
        self.fields["addons"].choices = [  # type: ignore[attr-defined]
            (a.pk, a.title) for a in project.addons.all()
        ]


class ResolveDisputeForm(forms.Form):
    """The operator's decision on a dispute; the engine checks the same rules again."""

    freelancer_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        label="Share of the price to the freelancer (%)",
        error_messages={"required": "Enter a whole number from 0 to 100."},
    )
    fault = forms.ChoiceField(
        choices=[(f.value, f.label) for f in Fault], initial=Fault.NONE, label="At fault"
    )
    note = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Decision, explained to both sides",
        error_messages={"required": "Explain the decision to both sides."},
    )

    def clean_note(self) -> str:
        note = str(self.cleaned_data.get("note", "")).strip()
        if not note:
            raise forms.ValidationError("Explain the decision to both sides.")
        return note


class NoteForm(forms.Form):
    note = forms.CharField(max_length=5000, required=False, widget=forms.Textarea)
    reason = forms.CharField(max_length=5000, required=False, widget=forms.Textarea)
    amount = PriceField(required=False)


def _attach_errors(form: forms.Form, exc: FairlanceError, field_map: dict[str, str]) -> None:
    """Put a domain error's field errors on the form fields (or on the form)."""
    if isinstance(exc, InvalidInput) and exc.errors:
        for err in exc.errors:
            name = field_map.get(str(err.get("field", "")), "")
            if name in form.fields:
                form.add_error(name, str(err.get("message", "Invalid value.")))
            else:
                form.add_error(None, str(err.get("message", "Invalid value.")))
    else:
        form.add_error(None, exc.detail or exc.title)


def _store_uploads(form: QuestionsForm, *, folder: str) -> tuple[dict[str, Any], list[str]]:
    """Answers keyed by question id; file answers are saved and answered by their name."""
    answers: dict[str, Any] = {}
    saved: list[str] = []
    for q in form.questions:
        value = form.cleaned_data.get(f"q_{q['id']}")
        if isinstance(value, UploadedFile):
            name = default_storage.save(
                f"{folder}/{uuid.uuid4().hex[:8]}-{PurePath(value.name or 'file').name}", value
            )
            saved.append(name)
            answers[str(q["id"])] = name
        elif value not in (None, "", []):
            answers[str(q["id"])] = value
    return answers, saved


def _forget(saved: list[str]) -> None:
    for name in saved:
        default_storage.delete(name)


# --- checkout -----------------------------------------------------------------------------


@login_required
def checkout(request: HttpRequest, project_id: int) -> HttpResponse:
    user = current_user(request)
    try:
        project = project_detail_for_viewer(viewer=user, project_id=project_id)
    except NotFound:
        raise Http404 from None
    request_mode = project.purchase_mode == "request"
    tiers = list(project.tiers.all())
    addons = list(project.addons.all())
    if not tiers:
        raise Http404
    availability = project_availability(project=project, now=timezone.now())

    buying = request.method == "POST" and "buy" in request.POST
    if request.method == "POST":
        form = CheckoutForm(
            request.POST, request.FILES, project=project, ask_questions=request_mode
        )
    else:
        initial_tier = request.GET.get("tier", "")
        chosen = next((t.pk for t in tiers if str(t.pk) == initial_tier), tiers[0].pk)
        form = CheckoutForm(initial={"tier": chosen}, project=project, ask_questions=request_mode)

    def render_page(status: int) -> HttpResponse:
        # The total follows the chosen tier and add-ons; without JavaScript "Update total"
        # re-renders the page with the new choice (it never buys).
        tier_id = _int(form.data.get("tier")) if form.is_bound else form.initial.get("tier")
        tier = next((t for t in tiers if t.pk == tier_id), tiers[0])
        wanted = (
            {_int(v) for v in form.data.getlist("addons")} if form.is_bound else set()  # type: ignore[attr-defined]
        )
        chosen_addons = [a for a in addons if a.pk in wanted]
        policy = current_policy()
        quote = cp.checkout_quote(tier=tier, addons=chosen_addons, policy=policy)
        context = {
            "project": project,
            "form": form,
            "tiers": [(t, cp.checkout_quote(tier=t, addons=[], policy=policy)) for t in tiers],
            "addons": addons,
            "quote": quote,
            "policy": policy,
            "request_mode": request_mode,
            "availability": availability,
            "banner": presenters.availability_banner(availability, project=project),
            "is_owner": project.freelancer_id == user.pk,
            "test_cards": TEST_CARDS,
            "working_days": project.delivery_in_working_days,
            # A fresh key on every render: a double submit of this form replays the first
            # answer instead of paying twice (core.idempotency).
            "purchase_key": uuid.uuid4().hex,
        }
        return render(request, "contracts/checkout.html", context, status=status)

    if not buying:
        return render_page(200)
    if not form.is_valid():
        return render_page(400)
    data = form.cleaned_data

    def purchase() -> HttpResponse:
        answers, saved = _store_uploads(form, folder=f"requirements/new-{user.pk}")
        try:
            contract = contract_purchase(
                client=user,
                project_id=project.pk,
                tier_id=data["tier"],
                addon_ids=data["addons"],
                answers=answers,
                card_number=data["card_number"],
            ).contract
        except FairlanceError as exc:
            _forget(saved)
            field_map = {"tier_id": "tier", "addon_ids": "addons", "card_number": "card_number"}
            field_map.update({f"answers.{q['id']}": f"q_{q['id']}" for q in form.questions})
            if exc.status == 402:
                form.add_error("card_number", exc.detail or exc.title)
            else:
                _attach_errors(form, exc, field_map)
            return render_page(exc.status)
        if request_mode:
            messages.success(
                request,
                "Request sent. The amount is held on your card, not charged, until the "
                "freelancer accepts or declines.",
            )
        elif contract.state == "awaiting_requirements":
            messages.success(request, "Paid. Send your requirements so work can start.")
            return redirect("web:contract_requirements", contract.pk)
        else:
            messages.success(request, "Paid. Work has started.")
        return redirect("web:contract_room", contract.pk)

    response = idempotent(
        request,
        f"web:purchase:project:{project.pk}",
        {
            "tier": data["tier"],
            "addons": sorted(data["addons"]),
            "card": str(data["card_number"])[-4:],
        },
        purchase,
        key=request.POST.get("purchase_key") or None,
    )
    if response.get("Content-Type", "").startswith("application/problem+json"):
        # The same form was submitted twice and the first submission is still running (or
        # was changed in between): show where things stand rather than a raw problem.
        messages.info(request, "This purchase was already submitted; here is where it stands.")
        return redirect("web:dashboard")
    return response


def _int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


# --- requirements ---------------------------------------------------------------------------


def _contract_or_404(user: User, contract_id: int) -> Contract:
    try:
        return access_contract(user=user, contract_id=contract_id)
    except NotFound:
        raise Http404 from None


@login_required
def requirements(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = current_user(request)
    contract = _contract_or_404(user, contract_id)
    can_send = "submit_requirements" in available_transitions(contract, user)
    if not can_send:
        # Only the client sends requirements, and only while the contract waits for them.
        return redirect("web:contract_room", contract.pk)
    questions = list(contract.snapshot.get("questions", []))
    status = 200
    if request.method == "POST":
        form = QuestionsForm(request.POST, request.FILES, questions=questions)
        if form.is_valid():
            answers, saved = _store_uploads(form, folder=f"requirements/{contract.pk}")
            try:
                apply_transition(
                    contract_id=contract.pk,
                    name="submit_requirements",
                    actor=Actor("client", user),
                    payload={"answers": answers},
                )
            except FairlanceError as exc:
                _forget(saved)
                _attach_errors(form, exc, {f"answers.{q['id']}": f"q_{q['id']}" for q in questions})
                status = exc.status
            else:
                messages.success(request, "Requirements sent. Work has started.")
                return redirect("web:contract_room", contract.pk)
        else:
            status = 400
    else:
        form = QuestionsForm(questions=questions)
    # The client should see by when the answers are due and what happens if they are not.
    now = timezone.now()
    tz_name = cp.zone_of(user)
    due = next(
        (
            c
            for c in cp.clock_views(
                open_clocks(contract, viewer_tz=tz_name, now=now), tz_name=tz_name, now=now
            )
            if c.name == "requirements_window"
        ),
        None,
    )
    return render(
        request,
        "contracts/requirements.html",
        {"contract": contract, "form": form, "due": due, "tz_name": tz_name},
        status=status,
    )


# --- the contract room ------------------------------------------------------------------------


def _resolve_context(contract: Contract, form: ResolveDisputeForm | None) -> dict[str, Any]:
    """The operator's resolve form with what each percentage would pay both sides."""
    policy = policy_for_version(contract.policy_version)
    held = balance(escrow(contract.pk))
    form = form or ResolveDisputeForm(initial={"freelancer_percent": 50, "fault": Fault.NONE})
    raw = form["freelancer_percent"].value()
    chosen = _int(raw)
    splits = [
        cp.dispute_split(contract=contract, percent=p, held_minor=held, policy=policy)
        for p in range(101)
    ]
    return {
        "resolve_form": form,
        "resolve_held_minor": held,
        "resolve_split": splits[chosen] if chosen is not None and 0 <= chosen <= 100 else None,
        # Every percentage's amounts, formatted, for the live preview next to the input.
        "resolve_table": {
            str(x.percent): [
                format_minor(x.freelancer_receives_minor),
                format_minor(x.client_back_minor),
            ]
            for x in splits
        },
    }


def _room_context(
    request: HttpRequest,
    user: User,
    contract: Contract,
    *,
    resolve_form: ResolveDisputeForm | None = None,
) -> dict[str, Any]:
    now = timezone.now()
    tz_name = cp.zone_of(user)
    role = cp.viewer_role(contract, user)
    clocks = cp.clock_views(
        open_clocks(contract, viewer_tz=tz_name, now=now), tz_name=tz_name, now=now
    )
    names = available_transitions(contract, user, now=now)
    buttons = cp.action_buttons(names, role=role)
    deliveries = list(
        Delivery.objects.filter(contract=contract).prefetch_related("files").order_by("number")
    )
    questions = contract.snapshot.get("questions", [])
    # Operators act on disputes only, here; every other action stays with the parties.
    can_resolve = role == "operator" and "resolve_dispute" in names
    return {
        **(_resolve_context(contract, resolve_form) if can_resolve else {}),
        "can_resolve": can_resolve,
        "contract": contract,
        "role": role,
        "tz_name": tz_name,
        "headline": cp.headline(contract, role=role, clocks=clocks),
        "clocks": clocks,
        "main_actions": [b for b in buttons if b.main],
        "more_actions": [b for b in buttons if not b.main],
        "can_deliver": role != "operator" and "deliver" in names,
        "can_send_requirements": role != "operator" and "submit_requirements" in names,
        "money": cp.money_rows(
            contract,
            released_minor=cp.released_to_freelancer(contract) if contract.outcome else None,
        ),
        "timeline": cp.timeline(
            list(contract_events(contract=contract)), contract=contract, tz_name=tz_name
        ),
        "deliveries": deliveries,
        "requirements": [
            (q["id"], q["prompt"], contract.answers.get(str(q["id"])), q.get("kind", "text"))
            for q in questions
        ],
        "client_card": cp.client_card(client=contract.client)
        if role == "freelancer" and contract.purchase_mode == "request"
        else None,
        "tier": contract.snapshot.get("tier", {}),
        "addons": contract.snapshot.get("addons", []),
        "state_label": contract.state.replace("_", " "),
        "note_form": NoteForm(),
    }


@login_required
def contract_room(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = current_user(request)
    contract = _contract_or_404(user, contract_id)
    return render(request, "contracts/room.html", _room_context(request, user, contract))


def _room_with_error(
    request: HttpRequest, user: User, contract_id: int, action: str, message: str, status: int
) -> HttpResponse:
    contract = _contract_or_404(user, contract_id)
    context = _room_context(request, user, contract)
    context["action_error"] = {"action": action, "message": message}
    return render(request, "contracts/room.html", context, status=status)


@login_required
@require_POST
def contract_act(request: HttpRequest, contract_id: int, name: str) -> HttpResponse:
    """Fire one person transition from the room's buttons (deliver has its own view)."""
    user = current_user(request)
    _contract_or_404(user, contract_id)
    t = process.BY_NAME.get(name)
    if t is None or not t.by_person or name in cp.OWN_FORM or name not in cp.ACTION_LOOK:
        raise Http404
    look = cp.ACTION_LOOK[name]
    form = NoteForm(request.POST)
    if not form.is_valid():
        message = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return _room_with_error(request, user, contract_id, name, message, 400)
    payload: dict[str, Any] = {}
    if look.field in ("note", "reason"):
        text = form.cleaned_data[look.field].strip()
        if look.field_required and not text:
            return _room_with_error(
                request,
                user,
                contract_id,
                name,
                f"{look.field_label} Please write a few words.",
                400,
            )
        if text:
            payload[look.field] = text
    elif look.field == "amount":
        amount = to_minor(form.cleaned_data["amount"])
        if amount is None:
            return _room_with_error(request, user, contract_id, name, "Enter an amount.", 400)
        payload["amount_minor"] = amount
    try:
        contract_transition(
            contract_id=contract_id, name=name, actor=Actor("person", user), payload=payload
        )
    except FairlanceError as exc:
        detail = exc.detail or exc.title
        if isinstance(exc, InvalidInput) and exc.errors:
            detail = "; ".join(str(e.get("message", "")) for e in exc.errors)
        return _room_with_error(request, user, contract_id, name, detail, exc.status)
    messages.success(request, cp.done_message(name))
    return redirect("web:contract_room", contract_id)


@login_required
@require_POST
def contract_resolve(request: HttpRequest, contract_id: int) -> HttpResponse:
    """An operator decides a dispute: a share of the price to the freelancer and a note."""
    operator = require_operator(request)
    contract = _contract_or_404(operator, contract_id)
    form = ResolveDisputeForm(request.POST)

    def again(status: int, message: str = "") -> HttpResponse:
        fresh = _contract_or_404(operator, contract_id)
        context = _room_context(request, operator, fresh, resolve_form=form)
        if message or not context["can_resolve"]:
            context["action_error"] = {
                "action": "resolve_dispute",
                "message": message or "This contract is no longer in dispute.",
            }
        return render(request, "contracts/room.html", context, status=status)

    if not form.is_valid():
        return again(400)
    try:
        apply_transition(
            contract_id=contract.pk,
            name="resolve_dispute",
            actor=Actor("operator", operator),
            payload={
                "freelancer_percent": form.cleaned_data["freelancer_percent"],
                "note": form.cleaned_data["note"],
                "fault": form.cleaned_data["fault"],
            },
        )
    except FairlanceError as exc:
        if isinstance(exc, InvalidInput) and exc.errors:
            _attach_errors(form, exc, {k: k for k in ("freelancer_percent", "note", "fault")})
            return again(exc.status)
        return again(exc.status, exc.detail or exc.title)
    percent = form.cleaned_data["freelancer_percent"]
    messages.success(
        request,
        f"Dispute resolved: {percent}% of the price to the freelancer. Both sides see your note.",
    )
    return redirect("web:operator_disputes")


@login_required
@require_POST
def contract_deliver(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The freelancer's delivery: a note and attachments, one transition, all or nothing."""
    user = current_user(request)
    _contract_or_404(user, contract_id)
    note = request.POST.get("note", "")
    uploads = request.FILES.getlist("files")
    if not note.strip() and not uploads:
        return _room_with_error(
            request, user, contract_id, "deliver", "Write a note or attach the work.", 400
        )
    try:
        # The engine records the delivery and its files in the transition's transaction.
        apply_transition(
            contract_id=contract_id,
            name="deliver",
            actor=Actor("person", user),
            payload={"note": note, "files": uploads},
        )
    except FairlanceError as exc:
        # File type, size and count rules live with the delivery action; show each problem.
        detail = " ".join(e["message"] for e in exc.errors) or exc.detail
        return _room_with_error(request, user, contract_id, "deliver", detail, exc.status)
    messages.success(request, "Delivered. The client has been told.")
    return redirect(reverse("web:contract_room", args=[contract_id]))


# --- attachments ----------------------------------------------------------------------------
# Files are served through the contract's access check, as downloads, so a link shared by
# mistake or a guessed path does not open another contract's files in the browser.


@login_required
def delivery_file(request: HttpRequest, contract_id: int, file_id: int) -> FileResponse:
    user = current_user(request)
    contract = _contract_or_404(user, contract_id)
    row = DeliveryFile.objects.filter(pk=file_id, delivery__contract=contract).first()
    if row is None:
        raise Http404
    return FileResponse(row.file.open("rb"), as_attachment=True, filename=row.name)


@login_required
def requirement_file(request: HttpRequest, contract_id: int, question_id: int) -> FileResponse:
    user = current_user(request)
    contract = _contract_or_404(user, contract_id)
    question = next(
        (q for q in contract.snapshot.get("questions", []) if q.get("id") == question_id), None
    )
    name = contract.answers.get(str(question_id))
    if question is None or question.get("kind") != "file" or not isinstance(name, str):
        raise Http404
    # Only files this contract's form stored are served (the answer is the storage name).
    if not name.startswith(f"requirements/{contract.pk}/") and not name.startswith(
        f"requirements/new-{contract.client_id}/"
    ):
        raise Http404
    if not default_storage.exists(name):
        raise Http404
    return FileResponse(
        default_storage.open(name, "rb"), as_attachment=True, filename=PurePath(name).name
    )
