"""Checkout, requirements, the contract room, dashboard sections and the balance page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fairlance.accounts.models import User
from fairlance.catalog.inputs import QuestionInput
from fairlance.catalog.models import Project
from fairlance.contracts.engine import Actor, apply_transition
from fairlance.contracts.models import Contract, Delivery, DeliveryFile
from fairlance.contracts.services import contract_purchase
from fairlance.core.models import IdempotencyRecord
from fairlance.files.models import Upload
from fairlance.ledger.accounts import escrow
from fairlance.ledger.models import JournalEntry
from fairlance.ledger.selectors import balance, balances_for_user
from fairlance.ledger.services import clearance_release_due
from fairlance.payments.models import PaymentAttempt
from fairlance.payments.provider import CARD_DECLINED, CARD_EXPIRED_HOLD, CARD_SUCCESS
from tests.conftest import make_user
from tests.web.conftest import login, make_project

pytestmark = pytest.mark.django_db


def _tier(project: Project, name: str = "Basic") -> int:
    return int(project.tiers.get(name=name).pk)


def _answers(project: Project) -> dict[str, str]:
    return {str(q.pk): "Acme" for q in project.questions.all()}


def buy(client: User, project: Project, *, answers: dict[str, Any] | None = None) -> Contract:
    return contract_purchase(
        client=client,
        project_id=project.pk,
        tier_id=_tier(project),
        answers=answers,
        card_number=CARD_SUCCESS,
    ).contract


def fire(contract: Contract, name: str, user: User, **payload: Any) -> Contract:
    return apply_transition(
        contract_id=contract.pk, name=name, actor=Actor("person", user), payload=payload
    )


def started(client: User, project: Project) -> Contract:
    """An instant purchase whose requirements were sent: in progress."""
    contract = buy(client, project)
    return fire(contract, "submit_requirements", client, answers=_answers(project))


def request_project(freelancer: User) -> Project:
    return make_project(
        freelancer,
        title="Brand strategy session",
        purchase_mode="request",
        questions=(QuestionInput(prompt="Describe your business"),),
    )


# --- checkout -------------------------------------------------------------------------------


def test_checkout_shows_tiers_totals_and_test_cards(published, client_user):
    # When a client opens checkout for the Premium tier
    url = f"/projects/{published.pk}/checkout/?tier={_tier(published, 'Premium')}"
    response = login(client_user).get(url)
    # Then the page offers both tiers, the add-on, the sandbox cards and both sides of the price
    html = response.content.decode()
    assert response.status_code == 200
    assert "Basic" in html and "Premium" in html and "Express delivery" in html
    assert CARD_SUCCESS in html and CARD_DECLINED in html and CARD_EXPIRED_HOLD in html
    assert 'id="sum-total">$300<' in html
    assert 'id="sum-receives">$270<' in html
    assert f'value="{_tier(published, "Premium")}" data-price="30000" checked' in html
    assert ">Buy ·" in html


def test_checkout_visibility_per_viewer(published, freelancer, stranger, operator):
    url = f"/projects/{published.pk}/checkout/"
    # Anonymous visitors are sent to log in
    response = login(None).get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # Any logged-in user may open checkout of a published project
    assert login(stranger).get(url).status_code == 200
    assert login(operator).get(url).status_code == 200
    # The owner sees that it is their own project, with no buy button
    html = login(freelancer).get(url).content.decode()
    assert "This is your own project" in html and ">Buy ·" not in html
    # A draft or an unknown project does not exist for others
    draft = make_project(freelancer, title="Secret draft logo", publish=False)
    assert login(stranger).get(f"/projects/{draft.pk}/checkout/").status_code == 404
    assert login(stranger).get("/projects/999999/checkout/").status_code == 404


def test_buying_instant_project_goes_to_requirements(published, client_user):
    # When the client buys Premium with the add-on and a good card
    response = login(client_user).post(
        f"/projects/{published.pk}/checkout/",
        {
            "tier": _tier(published, "Premium"),
            "addons": [published.addons.get().pk],
            "card_number": "4242 4242 4242 4242",
            "buy": "1",
        },
    )
    # Then a contract exists, paid into escrow, and the client is asked for requirements
    contract = Contract.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/requirements/"
    assert contract.state == "awaiting_requirements"
    assert contract.price_minor == 35_000 and contract.fee_minor == 3_500
    assert balance(escrow(contract.pk)) == 35_000


def test_double_submitted_checkout_pays_once(published, client_user):
    # Given the checkout form as rendered, with its one-time purchase key
    browser = login(client_user)
    page = browser.get(f"/projects/{published.pk}/checkout/").content.decode()
    key = page.split('name="purchase_key" value="', 1)[1].split('"', 1)[0]
    form = {
        "tier": _tier(published, "Premium"),
        "card_number": "4242 4242 4242 4242",
        "buy": "1",
        "purchase_key": key,
    }
    # When the form is submitted twice (a double click, a reload of the POST)
    first = browser.post(f"/projects/{published.pk}/checkout/", form)
    second = browser.post(f"/projects/{published.pk}/checkout/", form)
    # Then one contract is paid for and both answers lead to it
    contract = Contract.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == f"/contracts/{contract.pk}/requirements/"
    assert second["Location"] == f"/contracts/{contract.pk}/"
    assert balance(escrow(contract.pk)) == contract.price_minor
    # And the charge is named after this purchase's claim of the key, as the API's are
    record = IdempotencyRecord.objects.get(key=key)
    charge = PaymentAttempt.objects.get(kind="charge")
    assert charge.reference == f"purchase:{client_user.pk}:{published.pk}:idem:{record.pk}"
    # And a new visit (through the project page) renders a new key, so a deliberate second
    # purchase still works
    browser.get(f"/projects/{published.pk}/")
    again = browser.get(f"/projects/{published.pk}/checkout/").content.decode()
    assert key not in again


def test_update_total_recomputes_without_buying(published, client_user):
    # When a client without JavaScript adds the add-on and presses "Update total"
    response = login(client_user).post(
        f"/projects/{published.pk}/checkout/",
        {"tier": _tier(published), "addons": [published.addons.get().pk], "update": "1"},
    )
    # Then the page shows the new total and nothing was bought
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="sum-total">$170<' in html and 'id="sum-receives">$153<' in html
    assert Contract.objects.count() == 0


def test_declined_card_is_a_form_error_and_creates_nothing(published, client_user):
    # When the client pays with the sandbox's declined card
    response = login(client_user).post(
        f"/projects/{published.pk}/checkout/",
        {"tier": _tier(published), "card_number": CARD_DECLINED, "buy": "1"},
    )
    # Then the form says so, and no contract or journal entry exists
    html = response.content.decode()
    assert response.status_code == 402
    assert "declined" in html.lower()
    assert Contract.objects.count() == 0
    assert JournalEntry.objects.count() == 0
    assert PaymentAttempt.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"card_number": "1234"},
        {"card_number": ""},
        {"tier": "999999"},
        {"tier": "not-a-number"},
        {"addons": ["999999"]},
    ],
)
def test_bad_checkout_input_shows_errors_and_writes_nothing(published, client_user, data):
    form = {"tier": _tier(published), "card_number": CARD_SUCCESS, "buy": "1", **data}
    response = login(client_user).post(f"/projects/{published.pk}/checkout/", form)
    assert 400 <= response.status_code < 500
    assert "field-errors" in response.content.decode()
    assert Contract.objects.count() == 0
    assert PaymentAttempt.objects.count() == 0


def test_request_mode_checkout_asks_requirements_up_front(freelancer, client_user):
    project = request_project(freelancer)
    url = f"/projects/{project.pk}/checkout/"
    html = login(client_user).get(url).content.decode()
    assert "Describe your business" in html and "Send request" in html
    # A request without the required answer is refused and costs nothing
    form = {"tier": _tier(project), "card_number": CARD_SUCCESS, "buy": "1"}
    response = login(client_user).post(url, form)
    assert response.status_code == 400
    assert Contract.objects.count() == 0
    # With the answer the request is sent and the client lands in the contract room
    question = project.questions.get()
    response = login(client_user).post(url, {**form, f"q_{question.pk}": "A bakery"})
    contract = Contract.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/contracts/{contract.pk}/"
    assert contract.state == "requested"
    assert contract.answers == {str(question.pk): "A bakery"}


def test_project_page_links_to_checkout(published, client_user):
    html = login(client_user).get(f"/projects/{published.pk}/").content.decode()
    assert f'href="/projects/{published.pk}/checkout/"' in html


# --- requirements -------------------------------------------------------------------------


def test_requirements_page_per_viewer(published, client_user, freelancer, stranger, operator):
    contract = buy(client_user, published)
    url = f"/contracts/{contract.pk}/requirements/"
    html = login(client_user).get(url).content.decode()
    assert "What is the brand name?" in html
    # Only the client sends requirements; the others are sent to the room, strangers get 404
    assert login(freelancer).get(url)["Location"] == f"/contracts/{contract.pk}/"
    assert login(operator).get(url)["Location"] == f"/contracts/{contract.pk}/"
    assert login(stranger).get(url).status_code == 404
    assert "/accounts/login/" in login(None).get(url)["Location"]


def test_requirements_submit_starts_work(published, client_user):
    contract = buy(client_user, published)
    question = published.questions.get()
    url = f"/contracts/{contract.pk}/requirements/"
    # An empty required answer is refused and changes nothing
    response = login(client_user).post(url, {f"q_{question.pk}": "  "})
    assert response.status_code == 400
    contract.refresh_from_db()
    assert contract.state == "awaiting_requirements" and contract.answers == {}
    # A real answer starts the work
    response = login(client_user).post(url, {f"q_{question.pk}": "Acme Bakery"})
    assert response["Location"] == f"/contracts/{contract.pk}/"
    contract.refresh_from_db()
    assert contract.state == "in_progress"
    assert contract.answers == {str(question.pk): "Acme Bakery"}


def test_requirements_form_handles_choices_and_files(freelancer, client_user):
    project = make_project(
        freelancer,
        questions=(
            QuestionInput(prompt="Style", kind="single", choices=("Flat", "Retro")),
            QuestionInput(prompt="Uses", kind="multiple", choices=("Web", "Print", "Merch")),
            QuestionInput(prompt="Old logo", kind="file", required=False),
        ),
    )
    contract = buy(client_user, project)
    style, uses, old = project.questions.all()
    url = f"/contracts/{contract.pk}/requirements/"
    # A choice outside the list is refused
    response = login(client_user).post(url, {f"q_{style.pk}": "Gothic", f"q_{uses.pk}": ["Web"]})
    assert response.status_code == 400
    # Valid choices and a file are stored
    upload = SimpleUploadedFile("old.png", b"\x89PNG fake", content_type="image/png")
    response = login(client_user).post(
        url,
        {f"q_{style.pk}": "Retro", f"q_{uses.pk}": ["Web", "Print"], f"q_{old.pk}": upload},
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.state == "in_progress"
    assert contract.answers[str(style.pk)] == "Retro"
    assert contract.answers[str(uses.pk)] == ["Web", "Print"]
    # The file answer is the id of the upload the form made, attached to the contract
    upload = Upload.objects.get(public_id=contract.answers[str(old.pk)])
    assert (upload.name, upload.contract_id, upload.purpose) == (
        "old.png",
        contract.pk,
        "requirement",
    )
    # The freelancer downloads the file through the contract; strangers cannot
    url = f"/contracts/{contract.pk}/files/{upload.public_id}/"
    room = login(freelancer).get(f"/contracts/{contract.pk}/").content.decode()
    assert f'href="{url}" download>old.png</a>' in room and "Web, Print" in room
    response = login(freelancer).get(url)
    assert response.status_code == 200
    assert response.getvalue() == b"\x89PNG fake"
    assert login(make_user("eve@example.com")).get(url).status_code == 404


# --- the contract room ----------------------------------------------------------------------


def test_room_per_viewer(published, client_user, freelancer, stranger, operator):
    contract = started(client_user, published)
    url = f"/contracts/{contract.pk}/"
    # The freelancer is told what the contract waits for, with the due time and buttons
    html = login(freelancer).get(url).content.decode()
    assert "Waiting for your delivery — due" in html
    assert "Deliver your work" in html
    assert "Delivery due" in html and "No-fault decline window ends" in html
    assert f"/contracts/{contract.pk}/do/decline_in_grace/" in html
    # The client sees the same contract in their own words, and the money both ways
    html = login(client_user).get(url).content.decode()
    assert "Fran is working on it" in html
    assert "Deliver your work" not in html
    assert 'id="money-paid-in">$120<' in html
    assert 'id="money-receives">$108<' in html
    assert "Sent the requirements; work started" in html
    # Operators read, but get no buttons
    html = login(operator).get(url).content.decode()
    assert "read-only" in html and "/do/" not in html and "Deliver your work" not in html
    # Everybody else: not found / log in
    assert login(stranger).get(url).status_code == 404
    assert login(stranger).get("/contracts/999999/").status_code == 404
    assert "/accounts/login/" in login(None).get(url)["Location"]


def test_delivery_revision_and_approval_through_the_room(published, client_user, freelancer):
    contract = started(client_user, published)
    room = f"/contracts/{contract.pk}/"
    # When the freelancer delivers with a note and a file
    upload = SimpleUploadedFile("logo.png", b"\x89PNG fake", content_type="image/png")
    response = login(freelancer).post(f"{room}deliver/", {"note": "First draft", "files": [upload]})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.state == "delivered"
    delivered_file = DeliveryFile.objects.get().upload
    assert delivered_file.name == "logo.png"
    file_url = f"{room}files/{delivered_file.public_id}/"
    response = login(client_user).get(file_url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert response.getvalue() == b"\x89PNG fake"
    assert login(make_user("eve@example.com")).get(file_url).status_code == 404
    # Then the client sees approve and revision buttons
    html = login(client_user).get(room).content.decode()
    assert "Approve delivery" in html and "Ask for a revision" in html
    assert "logo.png" in html and "First draft" in html
    # A revision request without a note is refused and changes nothing
    response = login(client_user).post(f"{room}do/request_revision/", {"note": ""})
    assert response.status_code == 422
    assert "Say what should change" in response.content.decode()
    contract.refresh_from_db()
    assert contract.state == "delivered" and contract.revisions_left == 1
    # With a note it goes back to the freelancer
    login(client_user).post(f"{room}do/request_revision/", {"note": "Bigger letters"})
    contract.refresh_from_db()
    assert contract.state == "in_progress" and contract.revisions_left == 0
    login(freelancer).post(f"{room}deliver/", {"note": "Second draft"})
    # And approval completes it
    response = login(client_user).post(f"{room}do/approve/")
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.state == "completed"
    html = login(client_user).get(room).content.decode()
    assert "Bigger letters" in html and "Approved the delivery; $108 to the freelancer" in html
    assert 'id="money-released">$108<' in html


def test_room_actions_refuse_the_wrong_people(published, client_user, freelancer, stranger):
    contract = started(client_user, published)
    fire(contract, "deliver", freelancer, note="Done")
    room = f"/contracts/{contract.pk}/"
    # The freelancer cannot approve their own delivery
    assert login(freelancer).post(f"{room}do/approve/").status_code == 403
    # A stranger learns nothing
    assert login(stranger).post(f"{room}do/approve/").status_code == 404
    # Unknown and timer-only transitions do not exist as buttons
    assert login(client_user).post(f"{room}do/auto_approve/").status_code == 404
    assert login(client_user).post(f"{room}do/explode/").status_code == 404
    # GET never changes anything
    assert login(client_user).get(f"{room}do/approve/").status_code == 405
    contract.refresh_from_db()
    assert contract.state == "delivered"


def test_bad_delivery_input_writes_nothing(published, client_user, freelancer):
    contract = started(client_user, published)
    url = f"/contracts/{contract.pk}/deliver/"
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = login(freelancer).post(url, {"note": "Here", "files": [bad]})
    assert response.status_code == 422
    assert "not accepted" in response.content.decode()
    response = login(freelancer).post(url, {"note": ""})
    assert response.status_code == 422
    assert "Write a note or attach the work." in response.content.decode()
    # The client cannot deliver
    assert login(client_user).post(url, {"note": "Me"}).status_code == 403
    contract.refresh_from_db()
    assert contract.state == "in_progress"
    assert Delivery.objects.count() == 0


def test_partial_refund_amount_is_validated(published, client_user, freelancer):
    contract = started(client_user, published)
    url = f"/contracts/{contract.pk}/do/partial_refund/"
    assert login(freelancer).post(url, {"amount": "abc"}).status_code == 422
    assert login(freelancer).post(url, {"amount": "500"}).status_code == 422
    contract.refresh_from_db()
    assert contract.price_minor == 12_000 and contract.refunded_minor == 0
    assert login(freelancer).post(url, {"amount": "20"}).status_code == 302
    contract.refresh_from_db()
    assert contract.price_minor == 10_000 and contract.refunded_minor == 2_000


def test_request_mode_room_shows_client_card_and_decline(freelancer, client_user):
    project = request_project(freelancer)
    contract = buy(client_user, project, answers=_answers(project))
    room = f"/contracts/{contract.pk}/"
    # The freelancer sees who is asking before accepting
    html = login(freelancer).get(room).content.decode()
    assert "About the client" in html and "Member since" in html
    assert "No ratings yet" in html and "Carla asks to buy" in html
    assert "Accept and start" in html and "Decline" in html
    # The client does not see a card about themselves
    html = login(client_user).get(room).content.decode()
    assert "About the client" not in html
    assert "Waiting for Fran to accept your request" in html
    assert 'Held on the card, not charged</dt><dd class="total" id="money-on-hold">$120<' in html
    # When the freelancer declines, the client sees the hold released and nothing paid
    assert login(freelancer).post(f"{room}do/decline/", {"note": "Fully booked"}).status_code == 302
    contract.refresh_from_db()
    assert contract.state == "cancelled" and contract.refunded_minor == 0
    html = login(client_user).get(room).content.decode()
    assert "Cancelled — Fran declined the request; nothing was charged" in html
    assert 'id="money-paid-in">$0<' in html
    assert 'id="money-refunded">$0<' in html
    assert 'id="money-released">$0<' in html
    assert 'id="money-on-hold"' not in html
    assert "Declined the request; nothing was charged" in html
    assert "Fully booked" in html


# --- dashboard and balance -----------------------------------------------------------------


def test_dashboard_lists_contracts_needing_action(published, client_user, freelancer):
    waiting = buy(client_user, published)
    working = started(client_user, published)
    html = login(client_user).get("/dashboard/").content.decode()
    assert "Requirements to send" in html
    assert f"/contracts/{waiting.pk}/" in html and f"/contracts/{working.pk}/" in html
    html = login(freelancer).get("/dashboard/").content.decode()
    assert "A delivery to make" in html and "Requirements to send" not in html


def test_balance_page_and_payouts(published, client_user, freelancer, stranger):
    assert "/accounts/login/" in login(None).get("/balance/")["Location"]
    contract = started(client_user, published)
    fire(contract, "deliver", freelancer, note="Done")
    fire(contract, "approve", client_user)
    # The freelancer sees price minus fee as pending, with its clearance date
    html = login(freelancer).get("/balance/").content.decode()
    assert 'id="balance-pending"><strong>$108<' in html
    assert 'id="balance-available"><strong>$0<' in html
    assert f"/contracts/{contract.pk}/" in html
    # Someone else's balance page shows only their own (empty) balance
    assert 'id="balance-pending"><strong>$0<' in login(stranger).get("/balance/").content.decode()
    # Paying out money that is not available yet is refused and writes nothing
    entries = JournalEntry.objects.count()
    response = login(freelancer).post("/balance/", {"amount": "50"})
    assert response.status_code == 409
    response = login(freelancer).post("/balance/", {"amount": "-5"})
    assert response.status_code == 400
    assert JournalEntry.objects.count() == entries
    # Once cleared it can be paid out
    clearance_release_due(now=timezone.now() + timedelta(days=6))
    response = login(freelancer).post("/balance/", {"amount": "50"})
    assert response.status_code == 302
    assert balances_for_user(freelancer.pk) == {"pending": 0, "available": 5_800}
    # And a double-submitted payout form (same one-time key) pays out once
    page = login(freelancer).get("/balance/").content.decode()
    key = page.split('name="payout_key" value="', 1)[1].split('"', 1)[0]
    browser = login(freelancer)
    for _ in range(2):
        response = browser.post("/balance/", {"amount": "20", "payout_key": key})
        assert response.status_code == 302
    assert balances_for_user(freelancer.pk) == {"pending": 0, "available": 3_800}


def test_accepting_a_request_in_the_room_captures_the_card_hold(
    freelancer, client_user, stranger, operator
):
    # Given a request, held on the client's card
    project = request_project(freelancer)
    contract = buy(client_user, project, answers=_answers(project))
    url = f"/contracts/{contract.pk}/do/accept/"
    # Then nobody but its freelancer may accept it, and none of them reaches the processor
    assert login(client_user).post(url).status_code == 403
    assert login(operator).post(url).status_code == 403
    assert login(stranger).post(url).status_code == 404
    assert login(None).post(url).status_code == 302  # to the login page
    assert not PaymentAttempt.objects.filter(kind="capture").exists()
    # When the freelancer accepts, the hold is captured into escrow (the same domain
    # function as the API's accept)
    response = login(freelancer).post(url)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.state == "in_progress"
    assert PaymentAttempt.objects.get(kind="capture").provider_ref == contract.charge_ref
    assert balance(escrow(contract.pk)) == 12_000


def test_a_lapsed_card_hold_is_explained_in_the_room(freelancer, client_user):
    # Given a request paid with the card whose hold lapses
    project = request_project(freelancer)
    contract = contract_purchase(
        client=client_user,
        project_id=project.pk,
        tier_id=_tier(project),
        answers=_answers(project),
        card_number=CARD_EXPIRED_HOLD,
    ).contract
    # When the freelancer accepts in the room, the page says what happened
    response = login(freelancer).post(f"/contracts/{contract.pk}/do/accept/")
    assert response.status_code == 409
    html = response.content.decode()
    assert "The client&#x27;s card hold expired before you accepted" in html
    # And the request has ended without fault; the client reads it in their words
    contract.refresh_from_db()
    assert (contract.state, contract.ending, contract.fault) == ("cancelled", "expire_hold", "none")
    html = login(client_user).get(f"/contracts/{contract.pk}/").content.decode()
    assert "the card hold expired before the request was accepted" in html
    assert "nothing was charged" in html
