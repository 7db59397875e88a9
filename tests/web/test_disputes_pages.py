"""Operators' dispute queue and the "Resolve dispute" form in the contract room."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from fairlance.accounts.models import User
from fairlance.catalog.models import Project
from fairlance.contracts.engine import Actor, apply_transition
from fairlance.contracts.models import Contract, ContractEvent
from fairlance.contracts.services import contract_purchase
from fairlance.core.models import AuditEntry
from fairlance.core.money import percent_of
from fairlance.core.policy import policy_for_version
from fairlance.ledger.accounts import escrow
from fairlance.ledger.models import JournalEntry
from fairlance.ledger.selectors import balance, balances_for_user, ledger_check
from fairlance.payments.provider import CARD_SUCCESS
from tests.conftest import make_user
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db

QUEUE = "/operator/disputes/"
REASON = "The logo is not what we agreed on."
# A Wednesday morning: no clock of the contract runs out while the tests move time.
START = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


ANSWER = "The logo follows the brief to the letter."


def disputed(
    client: User, project: Project, *, reason: str = REASON, answered: bool = True
) -> Contract:
    """An instant purchase with requirements sent, then disputed by the client and (unless
    ``answered`` is False) answered by the freelancer: both sides heard."""
    contract = contract_purchase(
        client=client,
        project_id=project.pk,
        tier_id=project.tiers.get(name="Basic").pk,
        answers=None,
        card_number=CARD_SUCCESS,
    ).contract
    steps: list[tuple[str, dict[str, Any]]] = [("open_dispute", {"reason": reason})]
    if contract.state == "awaiting_requirements":
        answers = {str(q.pk): "Acme" for q in project.questions.all()}
        steps.insert(0, ("submit_requirements", {"answers": answers}))
    for name, payload in steps:
        contract = apply_transition(
            contract_id=contract.pk, name=name, actor=Actor("person", client), payload=payload
        )
    if answered:
        contract = apply_transition(
            contract_id=contract.pk,
            name="answer_dispute",
            actor=Actor("person", project.freelancer),
            payload={"note": ANSWER},
        )
    return contract


def written() -> tuple[int, int, int]:
    """Counts of what a resolution writes: journal entries, contract events, audit entries."""
    return JournalEntry.objects.count(), ContractEvent.objects.count(), AuditEntry.objects.count()


def resolve(user: User | None, contract: Contract, **data: Any) -> Any:
    form = {"freelancer_percent": "60", "fault": "none", "note": "Half done, mostly right."}
    form.update(data)
    return login(user).post(f"/contracts/{contract.pk}/resolve/", form)


# --- the queue --------------------------------------------------------------------------------


def test_queue_lists_open_disputes_oldest_first(published, client_user, freelancer, operator):
    # Given two disputes, the second opened a day later by another client
    with time_machine.travel(START, tick=False) as clock:
        first = disputed(client_user, published)
        clock.shift(timedelta(days=1))
        second = disputed(make_user("bob@example.com"), published, reason="Never delivered.")
        # When an operator opens the queue
        response = login(operator).get(QUEUE)
    # Then both show, oldest first, with parties, escrow, opener, reason and since when
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(f"Contract #{first.pk}") < html.index(f"Contract #{second.pk}")
    assert "Carla (carla@example.com)" in html and "Fran (fran@example.com)" in html
    assert "Carla (client)" in html and "Bob (client)" in html
    assert REASON in html and "Never delivered." in html
    assert html.count("$120") == 2
    assert 'datetime="2026-03-04T10:00:00+00:00"' in html
    assert f'href="/operator/disputes/{first.pk}/"' in html


def test_queue_drops_resolved_and_withdrawn_disputes(published, client_user, operator):
    # Given one dispute withdrawn and one resolved
    withdrawn = disputed(client_user, published)
    apply_transition(
        contract_id=withdrawn.pk,
        name="withdraw_dispute",
        actor=Actor("person", client_user),
        payload={},
    )
    resolved = disputed(client_user, published)
    assert resolve(operator, resolved).status_code == 302
    # When the operator opens the queue
    html = login(operator).get(QUEUE).content.decode()
    # Then it is empty and says so
    assert "No open disputes." in html
    assert f"Contract #{withdrawn.pk}" not in html and f"Contract #{resolved.pk}" not in html


def test_queue_exists_only_for_operators(published, client_user, freelancer, stranger):
    disputed(client_user, published)
    # Parties and strangers get not found, anonymous visitors are sent to log in
    for user in (client_user, freelancer, stranger):
        assert login(user).get(QUEUE).status_code == 404
    response = login(None).get(QUEUE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_operators_find_the_queue_from_review_page_and_dashboard(operator, client_user):
    # The review queue and the dashboard link to the dispute queue for operators only
    for page in ("/operator/review/", "/dashboard/"):
        assert f'href="{QUEUE}"' in login(operator).get(page).content.decode()
    assert f'href="{QUEUE}"' not in login(client_user).get("/dashboard/").content.decode()


# --- the resolve form in the room ---------------------------------------------------------------


def test_room_offers_resolve_form_to_operators_only(published, client_user, freelancer, operator):
    contract = disputed(client_user, published)
    url = f"/contracts/{contract.pk}/"
    # The operator sees the form with both sides' amounts at the default 50%
    html = login(operator).get(url).content.decode()
    assert "Resolve dispute" in html and f'action="/contracts/{contract.pk}/resolve/"' in html
    assert 'id="resolve-freelancer">$54<' in html  # $60 minus the 10% fee
    assert 'id="resolve-client">$60<' in html
    # The parties see the dispute but no resolve form
    for user in (client_user, freelancer):
        html = login(user).get(url).content.decode()
        assert "In dispute" in html and "/resolve/" not in html
    # An operator on a contract that is not disputed reads only
    other = contract_purchase(
        client=client_user,
        project_id=published.pk,
        tier_id=published.tiers.get(name="Basic").pk,
        answers=None,
        card_number=CARD_SUCCESS,
    ).contract
    html = login(operator).get(f"/contracts/{other.pk}/").content.decode()
    assert "read-only" in html and "/resolve/" not in html


def test_operator_splits_60_percent(published, client_user, freelancer, operator):
    # Given a disputed contract of $120 held in escrow
    contract = disputed(client_user, published)
    assert balance(escrow(contract.pk)) == 12_000
    # When the operator gives 60% to the freelancer with a note
    response = resolve(operator, contract, note="The logo was mostly right.", fault="client")
    # Then the contract completed, escrow is empty and the freelancer earned 60% less the fee
    assert response.status_code == 302 and response["Location"] == QUEUE
    contract.refresh_from_db()
    assert contract.state == "completed" and contract.fault == "client"
    assert balance(escrow(contract.pk)) == 0
    policy = policy_for_version(contract.policy_version)
    gross = percent_of(contract.price_minor, 6_000)
    assert balances_for_user(freelancer.pk)["pending"] == gross - percent_of(
        gross, policy.freelancer_fee_bp
    )
    assert contract.refunded_minor == contract.price_minor - gross
    assert ledger_check() == []
    # And the decision is audited with the operator's note
    entry = AuditEntry.objects.get(action="dispute_resolve")
    assert entry.actor == operator and entry.target_id == str(contract.pk)
    assert entry.note == "The logo was mostly right." and entry.data["freelancer_percent"] == 60
    # And both sides read the note in the timeline
    for user in (client_user, freelancer):
        html = login(user).get(f"/contracts/{contract.pk}/").content.decode()
        assert "The logo was mostly right." in html
        assert "60% of the price to the freelancer" in html


def test_nothing_to_the_freelancer_cancels_with_full_refund(freelancer, client_user, operator):
    # Given a disputed contract of a project without requirements questions
    project = make_project(freelancer, title="Quick icon", questions=())
    contract = disputed(client_user, project)
    # When the operator gives the freelancer 0%
    assert (
        resolve(operator, contract, freelancer_percent="0", note="Nothing usable.").status_code
        == 302
    )
    # Then the contract is cancelled and the client got everything back
    contract.refresh_from_db()
    assert contract.state == "cancelled" and contract.refunded_minor == 12_000
    assert balance(escrow(contract.pk)) == 0 and ledger_check() == []
    assert balances_for_user(freelancer.pk)["pending"] == 0
    # And the client reads the decision in the room's timeline
    html = login(client_user).get(f"/contracts/{contract.pk}/").content.decode()
    assert "Nothing usable." in html and "0% of the price to the freelancer" in html


@pytest.mark.parametrize(
    "data, field_error",
    [
        ({"freelancer_percent": "101"}, "less than or equal to 100"),
        ({"freelancer_percent": "-1"}, "greater than or equal to 0"),
        ({"freelancer_percent": "sixty"}, "Enter a whole number."),
        ({"freelancer_percent": ""}, "Enter a whole number from 0 to 100."),
        ({"note": ""}, "Explain the decision to both sides."),
        ({"note": "   "}, "Explain the decision to both sides."),
        ({"fault": "operator"}, "Select a valid choice"),
    ],
)
def test_bad_input_rerenders_the_room_and_writes_nothing(
    published, client_user, operator, data, field_error
):
    contract = disputed(client_user, published)
    before = written()
    # When the operator submits a bad decision
    response = resolve(operator, contract, **data)
    # Then the room comes back with the error and the form, and nothing was written
    html = response.content.decode()
    assert response.status_code == 400
    assert field_error in html and 'id="resolve"' in html and "Please fix the highlighted" in html
    contract.refresh_from_db()
    assert contract.state == "disputed" and written() == before
    assert balance(escrow(contract.pk)) == 12_000


def test_only_operators_resolve(published, client_user, freelancer, stranger):
    contract = disputed(client_user, published)
    before = written()
    # Parties and strangers get not found, anonymous visitors are sent to log in
    for user in (client_user, freelancer, stranger):
        assert resolve(user, contract).status_code == 404
    response = resolve(None, contract)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # And nothing was written
    contract.refresh_from_db()
    assert contract.state == "disputed" and written() == before


def test_resolving_twice_or_a_contract_not_in_dispute_is_refused(published, client_user, operator):
    contract = disputed(client_user, published)
    assert resolve(operator, contract).status_code == 302
    before = written()
    # When the same decision is posted again (a double submit)
    response = resolve(operator, contract)
    # Then the room says the contract is no longer in dispute and nothing more is paid
    assert response.status_code == 409
    assert "cannot resolve dispute" in response.content.decode()
    assert written() == before and ledger_check() == []
    # And an unknown contract does not exist
    assert login(operator).post("/contracts/999999/resolve/", {}).status_code == 404


# --- both sides heard: the answer in the room ---------------------------------------------------


def _tokyo(user: User) -> None:
    calendar = user.calendar  # type: ignore[attr-defined]
    calendar.time_zone = "Asia/Tokyo"
    calendar.save()


def test_the_answering_side_sees_the_form_with_its_countdown_in_its_time_zone(
    published, client_user, freelancer, operator
):
    _tokyo(freelancer)
    with time_machine.travel(START, tick=False):
        contract = disputed(client_user, published, answered=False)
        url = f"/contracts/{contract.pk}/"
        # The freelancer (in Tokyo) is asked to answer by Monday 19:00 their time
        html = login(freelancer).get(url).content.decode()
        assert 'id="answer"' in html and "Answer the dispute" in html
        assert "Mon 9 Mar 19:00" in html and "Asia/Tokyo" in html
        assert REASON in html
        # The client who opened it reads their reason and that the answer is due; no form
        html = login(client_user).get(url).content.decode()
        assert 'id="answer"' not in html and REASON in html
        assert "No answer yet; due" in html and "Mon 9 Mar 10:00" in html
        # The operator reads both sides and no form either
        assert 'id="answer"' not in login(operator).get(url).content.decode()


def test_answering_in_the_room_with_a_file_shows_the_answer_to_both(
    published, client_user, freelancer
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    contract = disputed(client_user, published, answered=False)
    response = login(freelancer).post(
        f"/contracts/{contract.pk}/answer/",
        {"note": ANSWER, "files": [SimpleUploadedFile("brief.png", b"\x89PNG")]},
    )
    assert response.status_code == 302, response.content[:500]
    contract.refresh_from_db()
    assert contract.dispute_answered_at is not None
    for user in (client_user, freelancer):
        html = login(user).get(f"/contracts/{contract.pk}/").content.decode()
        assert ANSWER in html and "brief.png" in html
        assert 'id="answer"' not in html  # answered once, the form is gone


def test_an_empty_answer_or_one_from_the_opener_is_refused_and_changes_nothing(
    published, client_user, freelancer, stranger
):
    contract = disputed(client_user, published, answered=False)
    url = f"/contracts/{contract.pk}/answer/"
    before = written()
    response = login(freelancer).post(url, {"note": "  "})
    assert response.status_code == 422
    assert "Write your side of the dispute." in response.content.decode()
    assert login(client_user).post(url, {"note": "Me too."}).status_code == 409
    assert login(stranger).post(url, {"note": "Hi"}).status_code == 404
    assert login(None).post(url, {"note": "Hi"}).status_code == 302
    contract.refresh_from_db()
    assert contract.dispute_answered_at is None and written() == before


# --- the operator's dispute page ----------------------------------------------------------------


def test_operator_page_shows_both_sides_money_and_timeline(published, client_user, operator):
    contract = disputed(client_user, published)
    html = login(operator).get(f"/operator/disputes/{contract.pk}/").content.decode()
    assert REASON in html and ANSWER in html
    assert 'id="money-held">$120<' in html
    # Side by side: all to the client, half, all to the freelancer (less the 10% fee)
    assert '<th scope="row">0%</th><td>$0</td><td>$120</td>' in html
    assert '<th scope="row">100%</th><td>$108</td><td>$0</td>' in html
    assert "Answered the dispute" in html  # the timeline
    assert f'action="/operator/disputes/{contract.pk}/"' in html


def test_operator_page_exists_only_for_operators(published, client_user, freelancer, stranger):
    contract = disputed(client_user, published)
    url = f"/operator/disputes/{contract.pk}/"
    for user in (client_user, freelancer, stranger):
        assert login(user).get(url).status_code == 404
        assert login(user).post(url, {"freelancer_percent": "50", "note": "x"}).status_code == 404
    response = login(None).get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    contract.refresh_from_db()
    assert contract.state == "disputed"


def test_operator_page_refuses_to_decide_before_both_sides_are_heard(
    published, client_user, operator
):
    contract = disputed(client_user, published, answered=False)
    url = f"/operator/disputes/{contract.pk}/"
    html = login(operator).get(url).content.decode()
    assert 'id="not-heard"' in html and 'name="freelancer_percent"' not in html
    before = written()
    response = login(operator).post(
        url, {"freelancer_percent": "50", "fault": "none", "note": "Too early."}
    )
    assert response.status_code == 409
    assert "both sides heard" in response.content.decode()
    contract.refresh_from_db()
    assert contract.state == "disputed" and written() == before


def test_operator_page_decides_and_both_sides_read_the_note(
    published, client_user, freelancer, operator
):
    contract = disputed(client_user, published)
    response = login(operator).post(
        f"/operator/disputes/{contract.pk}/",
        {"freelancer_percent": "25", "fault": "none", "note": "A quarter was usable."},
    )
    assert response.status_code == 302 and response["Location"] == QUEUE
    assert AuditEntry.objects.get(action="dispute_resolve").note == "A quarter was usable."
    for user in (client_user, freelancer):
        html = login(user).get(f"/contracts/{contract.pk}/").content.decode()
        assert 'id="dispute-resolution"' in html and "A quarter was usable." in html
        assert "25% of the price to the freelancer" in html


def test_an_operator_opening_a_dispute_file_is_audited(
    published, client_user, freelancer, operator
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    contract = disputed(client_user, published, answered=False)
    login(freelancer).post(
        f"/contracts/{contract.pk}/answer/",
        {"note": ANSWER, "files": [SimpleUploadedFile("proof.pdf", b"%PDF-1.4")]},
    )
    upload = contract.uploads.get(name="proof.pdf")
    url = f"/contracts/{contract.pk}/files/{upload.public_id}/"
    assert login(client_user).get(url).status_code == 200
    assert not AuditEntry.objects.filter(action="contract_file_view").exists()
    assert login(operator).get(url).status_code == 200
    entry = AuditEntry.objects.get(action="contract_file_view")
    assert entry.actor == operator and entry.data["file_name"] == "proof.pdf"
