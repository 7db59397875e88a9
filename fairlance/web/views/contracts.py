"""Checkout, the requirements form and the contract room.

Views parse input and call one domain function: ``contract_purchase`` to buy,
``contract_transition`` (the engine, plus the processor where a transition needs one) for
everything after, as the API does. Which buttons show is the engine's answer
(``available_transitions``), dressed by ``contract_presenters``; no rule lives here.
"""

from __future__ import annotations

import functools
import uuid
from typing import Any, Literal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from fairlance.accounts.models import User
from fairlance.catalog.models import Project
from fairlance.catalog.selectors import project_availability, project_detail_for_viewer
from fairlance.contracts import disputes, process
from fairlance.contracts.deadlines import calendar_spec, open_clocks, purchase_delivery_days
from fairlance.contracts.engine import Actor, available_transitions
from fairlance.contracts.models import Contract, Fault
from fairlance.contracts.payload import MAX_TEXT
from fairlance.contracts.selectors import (
    access_contract,
    client_card,
    contract_deliveries,
    contract_events,
    contract_files,
    contract_proposals,
    contract_recent_purchase,
)
from fairlance.contracts.services import contract_purchase, contract_transition
from fairlance.core.errors import FairlanceError, InvalidInput, NotFound
from fairlance.core.idempotency import REPLAYED_HEADER, idempotency_key_use, idempotent_attempt
from fairlance.core.money import format_minor
from fairlance.core.policy import current_policy, policy_for_version
from fairlance.files.kinds import RULES, Purpose
from fairlance.files.responses import upload_response
from fairlance.ledger.selectors import contract_money
from fairlance.payments.provider import (
    CARD_DECLINED,
    CARD_EXPIRED_HOLD,
    CARD_INSUFFICIENT_FUNDS,
    CARD_SUCCESS,
)
from fairlance.web import contract_presenters as cp
from fairlance.web import presenters, proposal_presenters, trust_presenters
from fairlance.web.forms import parse_amount
from fairlance.web.milestone_presenters import milestone_views
from fairlance.web.uploads import FormFiles, file_answers, offer_back, question_files
from fairlance.web.views.common import current_user, require_operator

TEST_CARDS = (
    (CARD_SUCCESS, "succeeds"),
    (CARD_DECLINED, "is declined"),
    (CARD_INSUFFICIENT_FUNDS, "fails with insufficient funds"),
    (CARD_EXPIRED_HOLD, "holds a request, but the hold expires before it is accepted"),
)


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
            # Whether a file is required is the domain's to say (clean_answers): the
            # answer may be a file the page offered back from an earlier attempt.
            rules = RULES[Purpose.REQUIREMENT]
            common["required"] = False
            f = forms.FileField(
                help_text=rules.help_text,
                widget=forms.FileInput(attrs={"accept": rules.accept}),
                **common,
            )
            f.question_required = bool(q.get("required"))  # type: ignore[attr-defined]
        else:
            f = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), **common)
        out[f"q_{q['id']}"] = f
    return out


class QuestionsForm(forms.Form):
    def __init__(self, *args: Any, questions: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fields.update(_question_fields(questions))

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"q_{q['id']}"] for q in self.questions]

    def text_answers(self) -> dict[str, Any]:
        """The answers of every question but the file questions (``web.uploads`` has
        those), keyed by question id."""
        answers: dict[str, Any] = {}
        for q in self.questions:
            value = self.cleaned_data.get(f"q_{q['id']}")
            if q.get("kind") != "file" and value not in (None, "", []):
                answers[str(q["id"])] = value
        return answers


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


# The operator's decision asks for ``resolve_dispute``'s declared fields; its page lays
# them out around a live preview of the split, so it keeps a form of its own.
_RESOLVE = {f.name: f for f in process.BY_NAME["resolve_dispute"].payload}


class ResolveDisputeForm(forms.Form):
    """The operator's decision on a dispute; the engine checks the declaration again and
    words what is wrong (a blank note, say) for the API and this page alike."""

    freelancer_percent = forms.IntegerField(
        min_value=0,
        max_value=100,
        label=_RESOLVE["freelancer_percent"].label,
        error_messages={"required": _RESOLVE["freelancer_percent"].required_message},
    )
    fault = forms.ChoiceField(
        choices=[(f.value, f.label) for f in Fault if f.value in _RESOLVE["fault"].choices],
        initial=_RESOLVE["fault"].default,
        label=_RESOLVE["fault"].label,
    )
    note = forms.CharField(
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_RESOLVE["note"].label,
        error_messages={"required": _RESOLVE["note"].required_message},
    )


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


# --- checkout -----------------------------------------------------------------------------

# The session remembers one purchase key per project: the key of the current checkout
# visit. Every render of that visit (a re-render after an error, the page the Back button
# brings back after buying) carries the same key, so submitting the visit again replays
# its first purchase instead of paying twice. Opening the project page starts a new visit.
CHECKOUT_KEYS = "checkout_keys"


def checkout_visit_key(request: HttpRequest, project_id: int) -> str:
    """The purchase key of the current checkout visit of the project (made on first use)."""
    keys = request.session.get(CHECKOUT_KEYS, {})
    key = keys.get(str(project_id))
    if not key:
        key = uuid.uuid4().hex
        request.session[CHECKOUT_KEYS] = {**keys, str(project_id): key}
    return str(key)


def checkout_visit_end(request: HttpRequest, project_id: int) -> None:
    """Forget the project's checkout key: the next checkout is a new visit."""
    keys = request.session.get(CHECKOUT_KEYS)
    if keys and str(project_id) in keys:
        request.session[CHECKOUT_KEYS] = {k: v for k, v in keys.items() if k != str(project_id)}


def _bought_words(contract: Contract, now: Any) -> str:
    when = cp.relative(contract.created_at, now)
    return "just now" if when == "now" else when


@never_cache
@login_required
def checkout(request: HttpRequest, project_id: int) -> HttpResponse:
    """Choose a tier and add-ons and pay; ``never_cache`` keeps Back from showing a stale page.

    A second purchase of the same project within a day is asked about first ("You bought
    this 3 minutes ago — buy again?"); resubmitting a visit that already bought replays it.
    """
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
    now = timezone.now()
    availability = project_availability(project=project, now=now)
    recent = contract_recent_purchase(client_id=user.pk, project_id=project.pk, now=now)

    buying = request.method == "POST" and "buy" in request.POST
    files = FormFiles(user=user, purpose=Purpose.REQUIREMENT)
    if request.method == "POST":
        form = CheckoutForm(
            request.POST, request.FILES, project=project, ask_questions=request_mode
        )
        # Files are stored before anything else is checked, so a form shown again
        # (another field to fix, "Update total") offers them back instead of losing them.
        files = question_files(request, form.questions, user)
    else:
        initial_tier = request.GET.get("tier", "")
        chosen = next((t.pk for t in tiers if str(t.pk) == initial_tier), tiers[0].pk)
        form = CheckoutForm(initial={"tier": chosen}, project=project, ask_questions=request_mode)
    key = str(request.POST.get("purchase_key") or "") or checkout_visit_key(request, project.pk)

    def render_page(status: int, *, ask_again: bool = False) -> HttpResponse:
        # The total follows the chosen tier and add-ons; without JavaScript "Update total"
        # re-renders the page with the new choice (it never buys).
        tier_id = _int(form.data.get("tier")) if form.is_bound else form.initial.get("tier")
        tier = next((t for t in tiers if t.pk == tier_id), tiers[0])
        wanted = (
            {_int(v) for v in form.data.getlist("addons")} if form.is_bound else set()  # type: ignore[attr-defined]
        )
        chosen_addons = [a for a in addons if a.pk in wanted]
        if form.is_bound:
            files.show_errors(form)
            offer_back(form, files)
        policy = current_policy()
        quote = cp.checkout_quote(tier=tier, addons=chosen_addons, policy=policy)
        context = {
            **_delivery_dates(project, user=user, quote=quote, tiers=tiers, addons=addons),
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
            "purchase_key": key,
            "recent": recent,
            "recent_words": _bought_words(recent, now) if recent is not None else "",
            "ask_again": ask_again,
        }
        return render(request, "contracts/checkout.html", context, status=status)

    if not buying:
        return render_page(200)
    if not form.is_valid() or files.errors:
        return render_page(400)
    data = form.cleaned_data
    ran = False
    scope = f"web:purchase:project:{project.pk}"
    params = {
        "tier": data["tier"],
        "addons": sorted(data["addons"]),
        "card": str(data["card_number"])[-4:],
    }
    use = idempotency_key_use(user_id=user.pk, scope=scope, key=key, params=params)
    if use == "other":
        # This visit already bought something else (Back, then another tier): what is
        # submitted now is a new purchase, with a key of its own.
        checkout_visit_end(request, project.pk)
        key = checkout_visit_key(request, project.pk)
        use = "new"
    if use == "new" and recent is not None and request.POST.get("repeat_of") != str(recent.pk):
        # A second purchase within a day is a choice, never an accident: ask, charge nothing.
        return render_page(409, ask_again=True)

    def purchase(attempt: str | None) -> HttpResponse:
        nonlocal ran
        ran = True
        try:
            contract = contract_purchase(
                client=user,
                project_id=project.pk,
                tier_id=data["tier"],
                addon_ids=data["addons"],
                answers={**form.text_answers(), **file_answers(files)},
                card_number=data["card_number"],
                attempt=attempt,
            ).contract
        except FairlanceError as exc:
            files.discard()
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

    response = idempotent_attempt(request, scope, params, purchase, key=key)
    if not ran:
        # A repeated submission answered from the first one: its own files are not used.
        files.discard()
    if response.get("Content-Type", "").startswith("application/problem+json"):
        # The same form was submitted twice and the first submission is still running (or
        # was changed in between): show where things stand rather than a raw problem.
        messages.info(request, "This purchase was already submitted; here is where it stands.")
        return redirect("web:dashboard")
    if response.get(REPLAYED_HEADER) == "true":
        # This visit already bought: its first contract, not a second one.
        bought = _contract_of_location(response.get("Location", ""))
        if bought is not None:
            messages.info(request, "You already bought this; here is your contract.")
            return redirect("web:contract_room", bought)
    return response


def _delivery_dates(
    project: Project, *, user: User, quote: cp.Quote, tiers: list[Any], addons: list[Any]
) -> dict[str, Any]:
    """The date the chosen tier and add-ons would be delivered by, and for the live preview
    the days and date of every sum of days another choice gives (``reachable_day_sums``)."""
    now = timezone.now()
    policy = current_policy()
    spec = calendar_spec(project.freelancer)
    terms = presenters.delivery_terms(
        viewer=user,
        freelancer_zone=spec.time_zone,
        working_days=project.delivery_in_working_days,
        purchase_mode=project.purchase_mode,
        asks=any(q.required for q in project.questions.all()),
    )

    @functools.cache
    def date_for(days: int) -> presenters.DeliveryDate:
        return presenters.delivery_date(
            spec=spec,
            now=now,
            days=days,
            terms=terms,
            purchase_mode=project.purchase_mode,
            policy=policy,
        )

    sums = presenters.reachable_day_sums(
        tier_days=[t.delivery_days for t in tiers],
        addon_days=[a.extra_delivery_days for a in addons],
    )
    preview: dict[str, dict[str, Any]] | None = None
    if sums is not None:
        preview = {}
        for raw in sums:
            d = date_for(purchase_delivery_days(tier_days=raw, addon_days=()))
            preview[str(raw)] = {
                "days": d.days,
                "local": d.local,
                "at": d.at_iso,
                "explanation": d.explanation,
            }
    return {
        "delivery_terms": terms,
        "delivery_date": date_for(quote.delivery_days),
        "delivery_preview": preview,
    }


def _contract_of_location(location: str) -> int | None:
    """The contract id in a redirect to one of its pages (the room, its requirements)."""
    try:
        match = resolve(location.split("?", 1)[0])
    except Resolver404:
        return None
    contract_id = match.kwargs.get("contract_id")
    return int(contract_id) if contract_id is not None else None


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
        files = question_files(request, questions, user)
        if form.is_valid() and not files.errors:
            try:
                contract_transition(
                    contract_id=contract.pk,
                    name="submit_requirements",
                    actor=Actor("client", user),
                    payload={"answers": {**form.text_answers(), **file_answers(files)}},
                )
            except FairlanceError as exc:
                files.discard()
                _attach_errors(form, exc, {f"answers.{q['id']}": f"q_{q['id']}" for q in questions})
                status = exc.status
            else:
                messages.success(request, cp.done_message("submit_requirements"))
                return redirect("web:contract_room", contract.pk)
        else:
            files.show_errors(form)
            status = 400
        offer_back(form, files)
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


def _resolve_context(
    contract: Contract, form: ResolveDisputeForm | None, *, held: int
) -> dict[str, Any]:
    """The operator's resolve form with what each percentage would pay both sides.

    ``held`` is what the contract's escrow holds (``contract_money``).
    """
    policy = policy_for_version(contract.policy_version)
    form = form or ResolveDisputeForm(initial={"freelancer_percent": 50, "fault": Fault.NONE})
    raw = form["freelancer_percent"].value()
    chosen = _int(raw)
    splits = [
        disputes.dispute_split(contract=contract, percent=p, held_minor=held, policy=policy)
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
    deliver_form: dict[str, Any] | None = None,
    answer_form: dict[str, Any] | None = None,
) -> dict[str, Any]:
    now = timezone.now()
    tz_name = cp.zone_of(user)
    role = cp.viewer_role(contract, user)
    # The milestones list and the partial refund's bounds both read them: once.
    prefetch_related_objects([contract], "milestones")
    clocks = cp.clock_views(
        open_clocks(contract, viewer_tz=tz_name, now=now), tz_name=tz_name, now=now
    )
    names = available_transitions(contract, user, now=now)
    money = contract_money(contract_id=contract.pk)
    buttons = cp.action_buttons(names, role=role, contract=contract, money=money)
    deliveries = contract_deliveries(contract=contract)
    questions = contract.snapshot.get("questions", [])
    # Operators act on disputes only, here; every other action stays with the parties.
    can_resolve = role == "operator" and "resolve_dispute" in names
    events = list(contract_events(contract=contract))
    card = None
    if role in ("freelancer", "operator"):
        # Shown first while the freelancer decides whether to take the work: a request
        # waiting for an answer, or the grace window of an instant purchase.
        deciding = "accept" in names or "decline_in_grace" in names
        card = cp.client_card_view(client_card(client_id=contract.client_id), prominent=deciding)
    # Ended contracts only: a running contract's room reads no feedback (its query budget
    # stays what it was).
    feedback = trust_presenters.feedback_panel(
        contract=contract,
        viewer=user,
        role=role,
        tz_name=tz_name,
        policy=policy_for_version(contract.policy_version),
        now=now,
    )
    return {
        **(_resolve_context(contract, resolve_form, held=money.held) if can_resolve else {}),
        "feedback": feedback,
        "can_resolve": can_resolve,
        "contract": contract,
        "role": role,
        "tz_name": tz_name,
        "headline": cp.headline(contract, role=role, clocks=clocks, money=money),
        "clocks": clocks,
        "main_actions": [b for b in buttons if b.main],
        "more_actions": [b for b in buttons if not b.main],
        "can_deliver": role != "operator" and "deliver" in names,
        "can_send_requirements": role != "operator" and "submit_requirements" in names,
        "money": cp.money_panel(contract, money=money),
        "dispute": disputes.dispute_view(contract, events),
        "can_answer": role != "operator" and "answer_dispute" in names,
        "answer_clock": next((c for c in clocks if c.name == disputes.ANSWER_CLOCK), None),
        "answer_rules": RULES[Purpose.DISPUTE],
        "answer_form": answer_form or {"note": "", "attached": []},
        "timeline": cp.timeline(
            events,
            contract=contract,
            tz_name=tz_name,
            money=money,
        ),
        "deliveries": deliveries,
        "milestones": milestone_views(contract, tz_name=tz_name),
        "requirements": _requirements(contract, questions),
        "client_card": card,
        "tier": contract.snapshot.get("tier", {}),
        "addons": contract.snapshot.get("addons", []),
        "state_label": contract.state.replace("_", " "),
        "deliver_rules": RULES[Purpose.DELIVERY],
        "deliver_form": deliver_form or {"note": "", "attached": []},
        **proposal_presenters.room_proposals(
            contract,
            # Closed proposals are timeline events; only open ones need their rows.
            items=contract_proposals(contract=contract) if contract.open_proposals else [],
            names=names,
            role=role,
            tz_name=tz_name,
            now=now,
        ),
    }


def _requirements(contract: Contract, questions: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(question id, prompt, answer, kind) per question; a file answer is its upload.

    A contract made from an offer asks no questions: its requirements are the quote
    request's text and files (``snapshot.requirements``, ``snapshot.offer.files``), shown
    the same way.
    """
    offer = contract.snapshot.get("offer")
    if offer is not None:
        files = contract_files(contract=contract, public_ids=offer.get("files", []))
        rows: list[tuple[Any, ...]] = [
            ("need", "What the client asked for", contract.snapshot.get("requirements", ""), "text")
        ]
        rows += [
            (f"file-{i}", "Attached file", files.get(str(ref)), "file")
            for i, ref in enumerate(offer.get("files", []))
        ]
        return rows
    answers = contract.answers
    files = contract_files(
        contract=contract,
        public_ids=[
            answers[str(q["id"])]
            for q in questions
            if q.get("kind") == "file" and str(q["id"]) in answers
        ],
    )
    return [
        (
            q["id"],
            q["prompt"],
            files.get(str(answers.get(str(q["id"]))))
            if q.get("kind") == "file"
            else answers.get(str(q["id"])),
            q.get("kind", "text"),
        )
        for q in questions
    ]


@login_required
def contract_room(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = current_user(request)
    contract = _contract_or_404(user, contract_id)
    return render(request, "contracts/room.html", _room_context(request, user, contract))


def _room_with_error(
    request: HttpRequest,
    user: User,
    contract_id: int,
    action: str,
    message: str,
    status: int,
    *,
    deliver_form: dict[str, Any] | None = None,
    answer_form: dict[str, Any] | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> HttpResponse:
    """The room again, with the error next to the action and what the person typed kept.

    ``errors`` maps form input names to what is wrong with them ("" for the action as a
    whole); ``typed`` holds the inputs as sent.
    """
    contract = _contract_or_404(user, contract_id)
    context = _room_context(
        request, user, contract, deliver_form=deliver_form, answer_form=answer_form
    )
    context["action_error"] = {"action": action, "message": message}
    for key in ("main_actions", "more_actions"):
        context[key] = cp.with_typed(
            context[key], name=action, typed=typed or {}, errors=errors or {"": message}
        )
    # An action under "More options" shows its error there, so that list opens too.
    context["more_open"] = any(b.name == action for b in context["more_actions"])
    return render(request, "contracts/room.html", context, status=status)


def form_payload(t: process.Transition, data: Any) -> dict[str, Any]:
    """The transition's payload from a room form: one input per declared field.

    Amounts are typed in major units; one that does not parse is sent as None, and the
    domain refuses it with the contract's bounds in words, as for one out of range; a
    percentage that is not a whole number is sent as typed and refused the same way.
    Everything else is checked by the engine (``payload.clean_payload``), as for the API.
    """
    payload: dict[str, Any] = {}
    for f in t.payload:
        raw = data.get(f.form_name)
        if raw is None or f.kind == "files":
            continue
        if f.kind == "amount":
            payload[f.name] = parse_amount(str(raw))
        elif f.kind == "percent":
            payload[f.name] = _int(raw) if _int(raw) is not None else str(raw)
        else:
            payload[f.name] = str(raw)
    return payload


@login_required
@require_POST
def contract_act(request: HttpRequest, contract_id: int, name: str) -> HttpResponse:
    """Fire one person transition from the room's buttons (own-form ones have their views)."""
    user = current_user(request)
    _contract_or_404(user, contract_id)
    t = process.BY_NAME.get(name)
    if t is None or not t.by_person or t.look is None or t.look.own_form or not t.look.label:
        raise Http404
    by_form_name = {f.name: f.form_name for f in t.payload}
    typed = {f.form_name: str(request.POST.get(f.form_name, ""))[:5000] for f in t.payload}
    try:
        contract_transition(
            contract_id=contract_id,
            name=name,
            actor=Actor("person", user),
            payload=form_payload(t, request.POST),
        )
    except FairlanceError as exc:
        detail = exc.detail or exc.title
        errors: dict[str, str] = {}
        if isinstance(exc, InvalidInput) and exc.errors:
            detail = "; ".join(str(e.get("message", "")) for e in exc.errors)
            for e in exc.errors:
                key = by_form_name.get(str(e.get("field", "")), "")
                errors[key] = "; ".join(
                    x for x in (errors.get(key), str(e.get("message", ""))) if x
                )
        return _room_with_error(
            request,
            user,
            contract_id,
            name,
            detail,
            exc.status,
            typed=typed,
            errors=errors or {"": detail},
        )
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
        contract_transition(
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
            _attach_errors(form, exc, {k: k for k in _RESOLVE})
            return again(exc.status)
        return again(exc.status, exc.detail or exc.title)
    messages.success(
        request,
        cp.done_message(
            "resolve_dispute", freelancer_percent=form.cleaned_data["freelancer_percent"]
        ),
    )
    return redirect("web:operator_disputes")


@login_required
@require_POST
def contract_deliver(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The freelancer's delivery: a note and attachments, one transition, all or nothing."""
    return _note_with_files(request, contract_id, "deliver", Purpose.DELIVERY, "deliver_form")


@login_required
@require_POST
def contract_answer_dispute(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The other side's answer to a dispute: words and evidence files, one transition."""
    return _note_with_files(request, contract_id, "answer_dispute", Purpose.DISPUTE, "answer_form")


def _note_with_files(
    request: HttpRequest,
    contract_id: int,
    name: str,
    purpose: Purpose,
    form_name: Literal["deliver_form", "answer_form"],
) -> HttpResponse:
    """Fire ``name`` with the posted note and files, all or nothing.

    The files become uploads of ``purpose`` first (``web.uploads``); the transition then
    attaches them. A refused file or transition shows the room again with the note as
    typed and the accepted files offered back (as ``form_name`` in the room's context).
    """
    user = current_user(request)
    _contract_or_404(user, contract_id)
    note = request.POST.get("note", "")
    files = FormFiles(user=user, purpose=purpose)
    files.take("files", request.FILES.getlist("files"), request.POST.getlist("upload"))

    def again(message: str, status: int) -> HttpResponse:
        form = {"note": note, "attached": files.offered("files")}
        return _room_with_error(
            request,
            user,
            contract_id,
            name,
            message,
            status,
            deliver_form=form if form_name == "deliver_form" else None,
            answer_form=form if form_name == "answer_form" else None,
        )

    if files.errors:
        # Nothing was tried: the files that were accepted are offered back.
        return again(" ".join(files.errors["files"]), 422)
    try:
        # The engine records the note and attaches its files in one transaction.
        contract_transition(
            contract_id=contract_id,
            name=name,
            actor=Actor("person", user),
            payload={"note": note, "files": files.ids.get("files", [])},
        )
    except FairlanceError as exc:
        files.discard()
        detail = " ".join(e["message"] for e in exc.errors) or exc.detail
        return again(detail, exc.status)
    messages.success(request, cp.done_message(name))
    return redirect(reverse("web:contract_room", args=[contract_id]))


# --- files ----------------------------------------------------------------------------------


def contract_file(request: HttpRequest, contract_id: int, file_id: uuid.UUID) -> FileResponse:
    """A file of the contract (a delivery file or a requirement answer), as a download.

    Anonymous visitors and strangers get the same 404 as a file that does not exist;
    ``files.responses`` makes it a download nothing can run.
    """
    try:
        upload = disputes.contract_file_open(
            user=request.user, contract_id=contract_id, file_id=file_id
        )
        return upload_response(upload)
    except NotFound:
        raise Http404 from None
