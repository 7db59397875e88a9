"""One declaration per transition: the API and the web fire every person transition alike.

For each transition a person fires on a contract, two twin contracts are brought to a
state where it may fire; it is fired once through the HTTP API and once through the room's
form, and both contracts must end in the same state, with the same event data and the
same money moved. The web's form fields are the declared ones (``Look``, ``PayloadField``).
A last test checks that nothing outside ``process.py`` and ``payload.py`` keeps a table
keyed by transition names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from fairlance.contracts import process
from fairlance.contracts.models import Contract, ContractEvent
from fairlance.contracts.payload import clean_payload, event_data
from fairlance.ledger.selectors import contract_money, ledger_check
from tests.contracts.conftest import answers_for, buy, make_project
from tests.web.conftest import login

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Twin:
    """How to bring a contract to where ``name`` may fire, and what to send."""

    # "requested", "awaiting", "started", "delivered", "disputed" (by the client),
    # "answered" (disputed, and the freelancer answered), "late"
    start: str
    by: str  # "client", "freelancer" or "operator"
    api: dict[str, Any] = field(default_factory=dict)
    # What a person types in the room; None: the form sends the API's fields as they are.
    web: dict[str, Any] | None = None


SETUPS: dict[str, Twin] = {
    "accept": Twin("requested", "freelancer"),
    "decline": Twin("requested", "freelancer", {"note": "Fully booked"}),
    "withdraw": Twin("requested", "client"),
    "submit_requirements": Twin("awaiting", "client"),
    "cancel_before_start": Twin("awaiting", "client"),
    "decline_in_grace": Twin("started", "freelancer", {"note": "Not my style"}),
    "deliver": Twin("started", "freelancer", {"note": "Here it is"}),
    "approve": Twin("delivered", "client"),
    "request_revision": Twin("delivered", "client", {"note": "Bigger letters"}),
    "cancel_late": Twin("late", "client"),
    "refund": Twin("started", "freelancer", {"note": "Sorry"}),
    "partial_refund": Twin(
        "started",
        "freelancer",
        {"amount_minor": 2_500, "note": "For the delay"},
        {"amount": "25.00", "note": "For the delay"},
    ),
    "open_dispute": Twin("started", "client", {"reason": "No answer for days"}),
    "withdraw_dispute": Twin("disputed", "client"),
    "answer_dispute": Twin("disputed", "freelancer", {"note": "Delivered on the due day"}),
    "resolve_dispute": Twin(
        "answered", "operator", {"freelancer_percent": 30, "fault": "none", "note": "A split"}
    ),
}


def person_transitions() -> set[str]:
    """Every transition a person fires on an existing contract through the generic route
    (``POST /contracts/{id}/{transition}`` and the room). Left out, each fired through
    endpoints and pages of its own and tested there: purchases, requests and accepting an
    offer (they create the contract: test_purchase_api, tests/quotes, tests/web), and
    proposals (``propose`` takes its fields ``as_sent`` for ``proposals.KINDS``; its
    answers are a proposal's ``subject`` transitions: test_proposals_api,
    tests/web/test_proposal_pages)."""
    return {
        t.name
        for t in process.TRANSITIONS
        if t.by_person
        and process.INITIAL not in t.from_states
        and not t.subject
        and not any(f.as_sent for f in t.payload)
    }


def test_the_table_of_setups_covers_every_person_transition() -> None:
    assert set(SETUPS) == person_transitions()


def _project(start: str, freelancer: Any) -> Any:
    return make_project(freelancer, mode="request" if start == "requested" else "instant")


def _bring(start: str, project: Any, api: Any, client_user: Any, freelancer: Any) -> int:
    """A new contract of ``project`` in the ``start`` situation; returns its id."""
    c, f = api(client_user), api(freelancer)
    request = project.purchase_mode == "request"
    resp = buy(c, project, answers=answers_for(project) if request else None)
    assert resp.status_code == 201, resp.content
    cid = int(resp.json()["id"])
    if start in ("requested", "awaiting"):
        return cid
    resp = c.post(f"contracts/{cid}/submit_requirements", {"answers": answers_for(project)})
    assert resp.status_code == 200, resp.content
    if start == "delivered":
        assert f.post(f"contracts/{cid}/deliver", {"note": "Here"}).status_code == 200
    if start in ("disputed", "answered"):
        assert c.post(f"contracts/{cid}/open_dispute", {"reason": "Late"}).status_code == 200
    if start == "answered":
        resp = f.post(f"contracts/{cid}/answer_dispute", {"note": "It was on time"})
        assert resp.status_code == 200, resp.content
    return cid


def _web_post(name: str, cid: int, user: Any, twin: Twin) -> Any:
    """Fire ``name`` from the room as a person would: its form, its fields."""
    t = process.BY_NAME[name]
    browser = login(user)
    data = dict(twin.api if twin.web is None else twin.web)
    if name == "submit_requirements":
        contract = Contract.objects.get(pk=cid)
        data = {f"q_{q['id']}": "Acme" for q in contract.snapshot["questions"]}
        return browser.post(f"/contracts/{cid}/requirements/", data)
    if name == "deliver":
        return browser.post(f"/contracts/{cid}/deliver/", data)
    if name == "answer_dispute":
        return browser.post(f"/contracts/{cid}/answer/", data)
    if name == "resolve_dispute":
        return browser.post(f"/contracts/{cid}/resolve/", data)
    # A button of the room: the page offers it, with an input for each declared field.
    html = browser.get(f"/contracts/{cid}/").content.decode()
    form = re.search(
        rf'<form[^>]*action="/contracts/{cid}/do/{name}/"[^>]*>(.*?)</form>', html, re.S
    )
    assert form is not None, f"the room offers no {name} button"
    # Files go with forms of their own (a button posts no uploads; the API takes ids).
    for f in t.payload:
        if f.kind != "files":
            assert f'name="{f.form_name}"' in form.group(1), (name, f.name)
    return browser.post(f"/contracts/{cid}/do/{name}/", data)


def _outcome(cid: int) -> dict[str, Any]:
    contract = Contract.objects.get(pk=cid)
    last = ContractEvent.objects.filter(contract_id=cid).order_by("-seq").first()
    assert last is not None
    money = contract_money(contract_id=cid)
    return {
        "state": contract.state,
        "ending": (contract.outcome, contract.ending, contract.fault),
        "price": contract.price_minor,
        "revisions_left": contract.revisions_left,
        "event": (last.name, last.actor_role, last.data),
        "money": (
            money.paid_in,
            money.refunded,
            money.to_freelancer,
            money.to_platform,
            money.held,
            money.on_hold,
        ),
    }


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_api_and_web_fire_each_person_transition_alike(
    name: str, clock: Any, api: Any, client_user: Any, freelancer: Any, operator: Any
) -> None:
    twin = SETUPS[name]
    # Given two twin contracts of one project where the transition may fire
    start = "started" if twin.start == "late" else twin.start
    project = _project(start, freelancer)
    by_api = _bring(start, project, api, client_user, freelancer)
    by_web = _bring(start, project, api, client_user, freelancer)
    if twin.start == "late":
        # The delivery due passes, the worker flags both late, the late grace passes.
        clock.shift(timedelta(days=30))
        call_command("worker", "--once", verbosity=0)
    user = {"client": client_user, "freelancer": freelancer, "operator": operator}[twin.by]

    # When it is fired through the API on one and through the room on the other
    body = twin.api
    if name == "submit_requirements":
        body = {"answers": answers_for(project)}
    resp = api(user).post(f"contracts/{by_api}/{name}", body)
    assert resp.status_code == 200, resp.content
    page = _web_post(name, by_web, user, twin)
    assert page.status_code == 302, page.content.decode()[:2000]

    # Then both contracts are alike: state, event data and money
    expected, got = _outcome(by_api), _outcome(by_web)
    assert got == expected
    assert expected["event"][0] == name
    # The event kept the declared fields sent, and nothing else
    declared = {f.name for f in process.BY_NAME[name].payload if f.kept}
    assert set(expected["event"][2]) <= declared
    assert expected["event"][2] == {k: v for k, v in body.items() if k in declared}
    assert ledger_check() == []


@pytest.mark.parametrize(
    ("name", "start", "by", "body", "field_name", "code"),
    [
        ("request_revision", "delivered", "client", {"note": "  "}, "note", "required"),
        ("open_dispute", "started", "client", {}, "reason", "required"),
        (
            "partial_refund",
            "started",
            "freelancer",
            {"amount_minor": 10_000},
            "amount_minor",
            "out_of_range",
        ),
        (
            "resolve_dispute",
            "answered",
            "operator",
            {"freelancer_percent": 30, "note": ""},
            "note",
            "required",
        ),
    ],
)
def test_bad_input_is_the_same_422_through_api_and_web_and_changes_nothing(
    name: str,
    start: str,
    by: str,
    body: dict[str, Any],
    field_name: str,
    code: str,
    clock: Any,
    api: Any,
    client_user: Any,
    freelancer: Any,
    operator: Any,
) -> None:
    # Given a contract where the transition may fire
    cid = _bring(start, _project(start, freelancer), api, client_user, freelancer)
    user = {"client": client_user, "freelancer": freelancer, "operator": operator}[by]
    before = _outcome(cid)
    # When the API gets a payload the declaration refuses
    resp = api(user).post(f"contracts/{cid}/{name}", body)
    # Then it is a 422 naming the field, and nothing changed
    assert resp.status_code == 422, resp.content
    problem = resp.json()
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field_name, code)]
    assert _outcome(cid) == before
    # And the room's form, sending the same, is refused with the same words
    t = process.BY_NAME[name]
    web = {
        f.form_name: ("100.00" if f.kind == "amount" else body[f.name])
        for f in t.payload
        if f.name in body
    }
    page = (
        login(user).post(f"/contracts/{cid}/resolve/", {"fault": "none", **web})
        if name == "resolve_dispute"
        else login(user).post(f"/contracts/{cid}/do/{name}/", web)
    )
    assert page.status_code in (400, 422)
    assert problem["errors"][0]["message"] in page.content.decode()
    assert _outcome(cid) == before


# --- nothing keyed by transition name beside the table ---------------------------------------

PACKAGE = Path(process.__file__).resolve().parent.parent
# Where transition names may key a table: the table itself and the payload declarations.
DECLARATIONS = {PACKAGE / "contracts" / "process.py", PACKAGE / "contracts" / "payload.py"}


def _keyed_by_transition_names(source: str, names: set[str]) -> list[str]:
    """Dict literals (``{"approve": ...}``) or ``dict(approve=...)`` calls in ``source``
    whose keys include at least two transition names."""
    found = []
    for match in re.finditer(r"\{[^{}]*\}", source, re.S):
        keys = set(re.findall(r'["\'](\w+)["\']\s*:', match.group(0)))
        if len(keys & names) >= 2:
            found.append(match.group(0)[:80])
    for match in re.finditer(r"dict\(([^()]*)\)", source, re.S):
        keys = set(re.findall(r"(\w+)\s*=", match.group(1)))
        if len(keys & names) >= 2:
            found.append(match.group(0)[:80])
    return found


def test_no_module_beside_the_table_keys_a_dict_by_transition_names() -> None:
    # Names that are also ordinary words elsewhere ("request", "purchase", "refund",
    # "approve", "deliver", "accept", "decline", "withdraw") count too: a dict using two
    # of them as keys is almost surely about transitions.
    names = {t.name for t in process.TRANSITIONS}
    offenders = {
        str(path.relative_to(PACKAGE)): hits
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in DECLARATIONS
        and "migrations" not in path.parts
        and (hits := _keyed_by_transition_names(path.read_text(), names))
    }
    assert offenders == {}


def test_the_check_finds_a_table_keyed_by_transition_names() -> None:
    names = {t.name for t in process.TRANSITIONS}
    shadow = 'DONE = {\n    "approve": "Approved.",\n    "decline": "Declined.",\n}\n'
    assert _keyed_by_transition_names(shadow, names)
    assert not _keyed_by_transition_names('{"approve": 1, "title": 2}', names)


def test_event_data_keeps_only_declared_fields_and_never_a_card_number() -> None:
    t = process.BY_NAME["partial_refund"]
    raw = {"amount_minor": 500, "note": "Sorry", "card_number": "4242424242424242", "_x": 1}
    clean = clean_payload(t, raw)
    # The services' own keys pass through the check; undeclared ones do not
    assert clean == {"amount_minor": 500, "note": "Sorry", "_x": 1}
    assert event_data(t, clean) == {"amount_minor": 500, "note": "Sorry"}
