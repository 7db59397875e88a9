"""What people are told: every transition's notices, in words, with the project and a link.

The notices are declared on the transitions (``process.py``); these tests walk the table
through the HTTP API and the worker and read what each person received.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from fairlance.accounts.services import calendar_update
from fairlance.catalog.inputs import AddOnInput, QuestionInput, TierInput
from fairlance.catalog.services import project_create, project_publish
from fairlance.contracts import notices, process
from fairlance.contracts.models import Contract, Proposal
from fairlance.notifications.models import Notification
from fairlance.payments.provider import CARD_EXPIRED_HOLD
from tests.contracts.conftest import START, answers_for, buy, make_project

pytestmark = pytest.mark.django_db

SITE = "https://market.example.org"
TITLE = "A hand-drawn logo"


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.FAIRLANCE_SITE_URL = SITE
    settings.FAIRLANCE_SITE_NAME = "Fairlance Market"


# --- the table itself --------------------------------------------------------------------

FIELDS = {
    "project", "package", "addons", "receipt", "client", "freelancer", "actor", "state",
    "price", "paid", "earnings", "refund", "money_back", "percent", "share", "revisions_left",
    "message", "deadline", "deadline_full", "deadline_why", "delivery_due", "grace", "site",
    "proposal",
    "milestone", "milestone_amount", "milestone_earnings", "next_milestone",
}  # fmt: skip
STORED_CLOCKS = {"delivery_due", "grace", "late_grace"}


def _template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _timer_clocks_entering(t: process.Transition) -> set[str]:
    clocks = set()
    for state in process.target_states(t):
        for timed in process.timed_transitions_from(state):
            assert timed.timer is not None
            clocks.add(timed.timer.clock)
    return clocks


def _subject_clocks(t: process.Transition) -> set[str]:
    """The clocks of the subject timers ``t`` arms (a proposal's answer window)."""
    return {timer.clock for name in t.arms if (timer := process.BY_NAME[name].timer) is not None}


def test_every_transition_declares_notices_with_known_fields_and_clocks() -> None:
    for t in process.TRANSITIONS:
        # Every transition tells someone what happened (and never in a generic sentence)
        assert t.notices, f"{t.name} tells nobody"
        for notice in t.notices:
            assert notice.to in ("client", "freelancer")
            used = _template_fields(notice.subject) | _template_fields(notice.body)
            assert used <= FIELDS, (t.name, used - FIELDS)
            assert "project" in _template_fields(notice.subject), t.name
            if notice.state is not None:
                assert notice.state in process.target_states(t), t.name
            if "deadline" in used or "deadline_full" in used:
                # The clock it names exists in the state the transition leads to
                assert notice.deadline is not None, t.name
                clocks = _timer_clocks_entering(t) | STORED_CLOCKS | _subject_clocks(t)
                assert notice.deadline in clocks, (t.name, notice.deadline)
        if t.timer is not None and t.timer.reminder is not None:
            reminder = t.timer.reminder
            used = _template_fields(reminder.subject) | _template_fields(reminder.body)
            assert used <= FIELDS and "project" in _template_fields(reminder.subject)


def test_a_person_is_never_told_about_their_own_action_except_by_a_receipt() -> None:
    for t in process.TRANSITIONS:
        for notice in t.notices:
            if notice.receipt:
                assert t.name in ("purchase", "request", "accept_offer") and notice.to == "client"


# --- walking the table through the API ------------------------------------------------------


def _project(freelancer: Any, **kwargs: Any) -> Any:
    return make_project(freelancer, **kwargs)


def _instant(api: Any, client_user: Any, freelancer: Any, **kwargs: Any) -> int:
    return int(buy(api(client_user), _project(freelancer, questions=False, **kwargs)).json()["id"])


def _requested(api: Any, client_user: Any, freelancer: Any) -> int:
    project = _project(freelancer, mode="request")
    return int(buy(api(client_user), project, answers=answers_for(project)).json()["id"])


def _post(api_client: Any, cid: int, name: str, body: dict[str, Any] | None = None) -> None:
    response = api_client.post(f"contracts/{cid}/{name}", body or {})
    assert response.status_code == 200, response.content


def _delivered(api: Any, client_user: Any, freelancer: Any) -> int:
    cid = _instant(api, client_user, freelancer)
    _post(api(freelancer), cid, "deliver", {"note": "Here are three sketches."})
    return cid


def _disputed(api: Any, client_user: Any, freelancer: Any) -> int:
    cid = _instant(api, client_user, freelancer)
    _post(api(client_user), cid, "open_dispute", {"reason": "The sketches never came."})
    return cid


def _worker_at(clock: Any, when: timedelta) -> None:
    clock.shift(when)
    call_command("worker", "--once", verbosity=0)


# Each scenario brings a contract to the point where the transition fires and fires it,
# through the API (people) or the worker (timers); returns the contract and, for the
# transitions that carry one, the words the acting person wrote.
Scenario = Callable[..., tuple[int, str | None]]


def _scenarios() -> dict[str, Scenario]:
    def purchase(api, client_user, freelancer, operator, clock):
        cid = int(buy(api(client_user), _project(freelancer)).json()["id"])
        return cid, None

    def request(api, client_user, freelancer, operator, clock):
        return _requested(api, client_user, freelancer), None

    def accept(api, client_user, freelancer, operator, clock):
        cid = _requested(api, client_user, freelancer)
        _post(api(freelancer), cid, "accept")
        return cid, None

    def decline(api, client_user, freelancer, operator, clock):
        cid = _requested(api, client_user, freelancer)
        _post(api(freelancer), cid, "decline", {"note": "Fully booked until May."})
        return cid, "Fully booked until May."

    def withdraw(api, client_user, freelancer, operator, clock):
        cid = _requested(api, client_user, freelancer)
        _post(api(client_user), cid, "withdraw")
        return cid, None

    def expire_request(api, client_user, freelancer, operator, clock):
        cid = _requested(api, client_user, freelancer)
        _worker_at(clock, timedelta(days=7))
        return cid, None

    def expire_hold(api, client_user, freelancer, operator, clock):
        # The sandbox card whose hold can never be captured: accepting ends the request.
        project = _project(freelancer, mode="request")
        body = {"answers": answers_for(project), "card": CARD_EXPIRED_HOLD}
        cid = int(buy(api(client_user), project, **body).json()["id"])
        response = api(freelancer).post(f"contracts/{cid}/accept", {})
        assert response.status_code == 409 and response.json()["code"] == "hold_expired"
        return cid, None

    def accept_offer(api, client_user, freelancer, operator, clock):
        from tests.contracts.conftest import GOOD_CARD
        from tests.quotes.conftest import ask, offer_body

        project = _project(freelancer)
        request_id = ask(api(client_user), project.pk).json()["id"]
        offer = api(freelancer).post(f"quote-requests/{request_id}/offers", offer_body())
        accepted = api(client_user).post(
            f"offers/{offer.json()['id']}/accept", {"card_number": GOOD_CARD}
        )
        assert accepted.status_code == 201, accepted.content
        return int(accepted.json()["id"]), None

    def submit_requirements(api, client_user, freelancer, operator, clock):
        project = _project(freelancer)
        cid = int(buy(api(client_user), project).json()["id"])
        _post(api(client_user), cid, "submit_requirements", {"answers": answers_for(project)})
        return cid, None

    def cancel_before_start(api, client_user, freelancer, operator, clock):
        cid = int(buy(api(client_user), _project(freelancer)).json()["id"])
        _post(api(client_user), cid, "cancel_before_start")
        return cid, None

    def expire_requirements(api, client_user, freelancer, operator, clock):
        cid = int(buy(api(client_user), _project(freelancer)).json()["id"])
        _worker_at(clock, timedelta(days=4))
        return cid, None

    def decline_in_grace(api, client_user, freelancer, operator, clock):
        cid = _instant(api, client_user, freelancer)
        _post(api(freelancer), cid, "decline_in_grace", {"note": "I misread the brief."})
        return cid, "I misread the brief."

    def mark_late(api, client_user, freelancer, operator, clock):
        cid = _instant(api, client_user, freelancer, delivery_days=1)
        _worker_at(clock, timedelta(days=2))
        return cid, None

    def deliver(api, client_user, freelancer, operator, clock):
        return _delivered(api, client_user, freelancer), "Here are three sketches."

    def approve(api, client_user, freelancer, operator, clock):
        cid = _delivered(api, client_user, freelancer)
        _post(api(client_user), cid, "approve")
        return cid, None

    def request_revision(api, client_user, freelancer, operator, clock):
        cid = _delivered(api, client_user, freelancer)
        _post(api(client_user), cid, "request_revision", {"note": "Make the fox orange."})
        return cid, "Make the fox orange."

    def auto_approve(api, client_user, freelancer, operator, clock):
        cid = _delivered(api, client_user, freelancer)
        _worker_at(clock, timedelta(days=8))
        return cid, None

    def cancel_late(api, client_user, freelancer, operator, clock):
        cid = _instant(api, client_user, freelancer, delivery_days=1)
        _worker_at(clock, timedelta(days=3))
        _post(api(client_user), cid, "cancel_late")
        return cid, None

    def refund(api, client_user, freelancer, operator, clock):
        cid = _instant(api, client_user, freelancer)
        _post(api(freelancer), cid, "refund", {"note": "Sorry, I fell ill."})
        return cid, "Sorry, I fell ill."

    def partial_refund(api, client_user, freelancer, operator, clock):
        cid = _instant(api, client_user, freelancer)
        body = {"amount_minor": 2_500, "note": "One sketch fewer."}
        _post(api(freelancer), cid, "partial_refund", body)
        return cid, "One sketch fewer."

    def open_dispute(api, client_user, freelancer, operator, clock):
        return _disputed(api, client_user, freelancer), "The sketches never came."

    def withdraw_dispute(api, client_user, freelancer, operator, clock):
        cid = _disputed(api, client_user, freelancer)
        _post(api(client_user), cid, "withdraw_dispute")
        return cid, None

    def answer_dispute(api, client_user, freelancer, operator, clock):
        cid = _disputed(api, client_user, freelancer)
        _post(api(freelancer), cid, "answer_dispute", {"note": "They are in the delivery."})
        return cid, "They are in the delivery."

    def expire_dispute_answer(api, client_user, freelancer, operator, clock):
        cid = _disputed(api, client_user, freelancer)
        _worker_at(clock, timedelta(days=7))
        return cid, None

    def resolve_dispute(api, client_user, freelancer, operator, clock):
        cid = _disputed(api, client_user, freelancer)
        _post(api(freelancer), cid, "answer_dispute", {"note": "They are in the delivery."})
        body = {"freelancer_percent": 30, "note": "Two of five sketches were delivered."}
        _post(api(operator), cid, "resolve_dispute", body)
        return cid, "Two of five sketches were delivered."

    def _proposed(api, client_user, freelancer):
        cid = _instant(api, client_user, freelancer)
        body = {"kind": "extend_deadline", "days": 2, "note": "The brand book is late."}
        r = api(freelancer).post(f"contracts/{cid}/proposals", body)
        assert r.status_code == 201, r.content
        return cid, r.json()["id"]

    def propose(api, client_user, freelancer, operator, clock):
        cid, _ = _proposed(api, client_user, freelancer)
        return cid, "The brand book is late."

    def _answered(api, user, proposal_id, answer):
        response = api(user).post(f"proposals/{proposal_id}/{answer}")
        assert response.status_code == 200, response.content

    def accept_proposal(api, client_user, freelancer, operator, clock):
        cid, pid = _proposed(api, client_user, freelancer)
        _answered(api, client_user, pid, "accept")
        return cid, None

    def decline_proposal(api, client_user, freelancer, operator, clock):
        cid, pid = _proposed(api, client_user, freelancer)
        _answered(api, client_user, pid, "decline")
        return cid, None

    def withdraw_proposal(api, client_user, freelancer, operator, clock):
        cid, pid = _proposed(api, client_user, freelancer)
        _answered(api, freelancer, pid, "withdraw")
        return cid, None

    def expire_proposal(api, client_user, freelancer, operator, clock):
        cid, _ = _proposed(api, client_user, freelancer)
        _worker_at(clock, timedelta(days=6))
        return cid, None

    def _feedback(api, user, cid):
        body = {"rating": 5, "public_text": "Great.", "private_rating": 5}
        r = api(user).post(f"contracts/{cid}/feedback", body)
        assert r.status_code == 201, r.content

    def leave_feedback(api, client_user, freelancer, operator, clock):
        cid = approve(api, client_user, freelancer, operator, clock)[0]
        _feedback(api, client_user, cid)
        return cid, None

    def close_feedback(api, client_user, freelancer, operator, clock):
        cid = approve(api, client_user, freelancer, operator, clock)[0]
        _feedback(api, client_user, cid)
        _worker_at(clock, timedelta(days=15))
        return cid, None

    return {name: fn for name, fn in locals().items() if callable(fn) and not name.startswith("_")}


SCENARIOS = _scenarios()


def test_the_walk_covers_every_transition() -> None:
    assert set(SCENARIOS) == {t.name for t in process.TRANSITIONS}


@pytest.mark.parametrize("name", [t.name for t in process.TRANSITIONS])
def test_every_transitions_notices_name_the_project_and_link_to_the_room(
    name, clock, api, client_user, freelancer, operator
) -> None:
    # Given a contract brought to the transition, when it fires
    cid, message = SCENARIOS[name](api, client_user, freelancer, operator, clock)
    contract = Contract.objects.get(pk=cid)
    assert contract.events.filter(name=name).exists()
    # Then each person the table names got words about this project, with a link
    notes = list(Notification.objects.filter(kind=f"contract.{name}", contract_id=cid))
    t = process.BY_NAME[name]
    event = contract.events.get(name=name)
    proposer = (
        Proposal.objects.get(pk=event.data["proposal_id"]).proposed_by
        if "proposal_id" in event.data
        else None
    )
    expected = {
        n.to
        for n in t.notices
        if n.state in (None, event.to_state) and (not n.proposer or n.to == proposer)
    }
    actor = contract.events.get(name=name).actor_id
    roles = {"client" if note.user_id == contract.client_id else "freelancer" for note in notes}
    assert roles == {r for r in expected if _user_of(contract, r) != actor} | (
        {"client"} if name in ("purchase", "request", "accept_offer") else set()
    )
    room = f"{SITE}/contracts/{cid}/"
    for note in notes:
        assert TITLE in note.title, note.title
        assert room in note.body
        assert "(not set)" not in note.title + note.body
        assert "is now" not in note.body  # the old generic "Contract N is now X"
        assert note.body.rstrip().endswith("Fairlance Market")
        if message is not None:
            # The other side's own words reach the one who did not write them
            assert message in note.body


def _user_of(contract: Contract, role: str) -> int:
    return contract.client_id if role == "client" else contract.freelancer_id


def test_a_decline_tells_the_client_in_words_with_the_freelancers_note(
    clock, api, client_user, freelancer, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    cid = _requested(api, client_user, freelancer)
    with django_capture_on_commit_callbacks(execute=True):
        _post(api(freelancer), cid, "decline", {"note": "Fully booked until May."})
    (email,) = [m for m in mailoutbox if m.to == [client_user.email]]
    assert email.subject == f"Request declined: {TITLE}"
    assert "Fran declined your request" in email.body
    assert "> Fully booked until May." in email.body
    assert "The hold of $100 on your card is released; nothing was charged" in email.body
    assert f"{SITE}/contracts/{cid}/" in email.body


def test_a_request_subject_says_who_asks_and_when_to_answer_in_the_freelancers_time(
    clock, api, client_user, freelancer
) -> None:
    # Given a freelancer in Tokyo (Mon-Fri), a request on Wednesday 10:00 UTC (19:00 there)
    _tokyo(freelancer)
    cid = _requested(api, client_user, freelancer)
    note = Notification.objects.get(kind="contract.request", user=freelancer)
    # Then the subject names the project and the client, and the answer is due two working
    # days later, in Tokyo's time: Friday 19:00
    assert note.title == f"New request: {TITLE} for Carla, answer by Fri 6 Mar 19:00"
    assert "Fri 6 Mar 2026 at 19:00 (Asia/Tokyo time)" in note.body
    assert f"{SITE}/contracts/{cid}/" in note.body


# --- the receipt ----------------------------------------------------------------------------


def test_the_client_gets_a_receipt_for_a_purchase(
    clock, api, client_user, freelancer, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    # Given a project with an add-on
    project = project_create(
        freelancer=freelancer,
        title=TITLE,
        category_slug="design",
        description="I draw logos by hand, with care.",
        tiers=[TierInput(name="Standard", price_minor=12_000, delivery_days=5)],
        addons=[AddOnInput(title="Source files", price_minor=3_000)],
        questions=[QuestionInput(prompt="Brand name?")],
    )
    project = project_publish(project=project, actor=freelancer)
    body = {
        "tier_id": project.tiers.get().pk,
        "addon_ids": [project.addons.get().pk],
        "card_number": "4242424242424242",
    }
    # When the client buys it
    with django_capture_on_commit_callbacks(execute=True):
        cid = api(client_user).post(f"projects/{project.pk}/purchase", body).json()["id"]
    # Then the client's receipt went out at once with what was bought and paid
    (receipt,) = [m for m in mailoutbox if m.to == [client_user.email]]
    assert receipt.subject == f"Receipt: {TITLE}, $150 paid"
    for line in (
        f"Project: {TITLE}",
        "Freelancer: Fran",
        "Package: Standard ($120)",
        "Add-ons: Source files (+$30)",
        "Total: $150",
        f"Contract number: {cid}",
        "send your requirements by Sat 7 Mar 2026 at 10:00 (UTC time)",
        f"{SITE}/contracts/{cid}/",
    ):
        assert line in receipt.body, line
    assert Notification.objects.filter(user=client_user, kind="contract.purchase").count() == 1


def test_a_request_gives_the_client_a_receipt_for_the_held_amount(
    clock, api, client_user, freelancer
) -> None:
    cid = _requested(api, client_user, freelancer)
    note = Notification.objects.get(user=client_user, kind="contract.request")
    assert note.title == f"Receipt: {TITLE}, $100 held for your request"
    assert "Package: Basic ($100)" in note.body
    assert f"{SITE}/contracts/{cid}/" in note.body


# --- quiet hours on every path --------------------------------------------------------------

# Wednesday 4 March 2026, 23:28 in Tokyo.
TOKYO_NIGHT = datetime(2026, 3, 4, 14, 28, tzinfo=UTC)
TOKYO_MORNING = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)  # Thursday 09:00 in Tokyo


def _tokyo(user: Any) -> None:
    calendar_update(
        user=user,
        time_zone="Asia/Tokyo",
        working_weekdays=[0, 1, 2, 3, 4],
        work_start=time(9),
        work_end=time(17),
        holiday_country="JP",
        holiday_subdivision=None,
    )


def _freelancer_mail(mailoutbox: list[Any], freelancer: Any) -> list[str]:
    return [m.subject for m in mailoutbox if m.to == [freelancer.email]]


@pytest.mark.parametrize("questions", [True, False])
def test_a_purchase_at_2328_in_tokyo_waits_for_the_freelancers_morning(
    api, client_user, freelancer, mailoutbox, django_capture_on_commit_callbacks, questions
) -> None:
    _tokyo(freelancer)
    project = make_project(freelancer, questions=questions)
    with time_machine.travel(TOKYO_NIGHT, tick=False) as traveller:
        # When Carla buys at 23:28 Tokyo time
        with django_capture_on_commit_callbacks(execute=True):
            cid = buy(api(client_user), project).json()["id"]
        # Then her receipt goes at once, Hiro's email waits for 09:00 his time
        assert [m.to for m in mailoutbox] == [[client_user.email]]
        note = Notification.objects.get(user=freelancer, kind="contract.purchase")
        assert note.send_after == TOKYO_MORNING
        assert note.title.startswith(f"New order: {TITLE} from Carla")
        # and the worker does not send it before then
        traveller.move_to(TOKYO_MORNING - timedelta(minutes=1))
        call_command("worker", "--once", verbosity=0)
        assert _freelancer_mail(mailoutbox, freelancer) == []
        # but does at 09:00
        traveller.move_to(TOKYO_MORNING)
        call_command("worker", "--once", verbosity=0)
    assert _freelancer_mail(mailoutbox, freelancer) == [note.title]
    (email,) = [m for m in mailoutbox if m.to == [freelancer.email]]
    assert f"{SITE}/contracts/{cid}/" in email.body


def test_a_request_withdrawn_before_its_held_email_goes_is_dropped(
    api, client_user, freelancer, mailoutbox
) -> None:
    # Given a request on Wednesday 20:00 UTC, after the freelancer's day (09-17 UTC)
    project = make_project(freelancer, mode="request")
    with time_machine.travel(datetime(2026, 3, 4, 20, 0, tzinfo=UTC), tick=False) as traveller:
        cid = buy(api(client_user), project, answers=answers_for(project)).json()["id"]
        request = Notification.objects.get(user=freelancer, kind="contract.request")
        assert request.send_after == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
        # When the client withdraws at 22:00, before the email went out
        traveller.move_to(datetime(2026, 3, 4, 22, 0, tzinfo=UTC))
        _post(api(client_user), cid, "withdraw")
        withdrawn = Notification.objects.get(user=freelancer, kind="contract.withdraw")
        # Then the withdrawal notice waits for the morning too (it asks nothing: it stays)
        assert withdrawn.send_after == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
        assert withdrawn.about_entry_seq is None
        # and in the morning only the withdrawal is sent; the request is dropped
        traveller.move_to(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
        call_command("worker", "--once", verbosity=0)
    assert _freelancer_mail(mailoutbox, freelancer) == [f"Request withdrawn: {TITLE}"]
    request.refresh_from_db()
    assert request.emailed_at is None and request.email_dropped_at is not None
    assert request.send_after is None  # out of the outbox for good
    # while the in-app notification stays
    assert Notification.objects.filter(pk=request.pk).exists()
    withdrawn.refresh_from_db()
    assert withdrawn.emailed_at is not None


def test_a_held_request_still_open_in_the_morning_is_sent(
    api, client_user, freelancer, mailoutbox
) -> None:
    project = make_project(freelancer, mode="request")
    with time_machine.travel(datetime(2026, 3, 4, 20, 0, tzinfo=UTC), tick=False) as traveller:
        buy(api(client_user), project, answers=answers_for(project))
        traveller.move_to(datetime(2026, 3, 5, 9, 0, tzinfo=UTC))
        call_command("worker", "--once", verbosity=0)
    (subject,) = _freelancer_mail(mailoutbox, freelancer)
    assert subject.startswith(f"New request: {TITLE} for Carla")


def test_quiet_hours_hold_the_workers_emails_as_they_hold_a_persons(
    api, client_user, freelancer, mailoutbox
) -> None:
    # Given two requests on Wednesday 16:00 UTC to a freelancer working 09-17 UTC: each
    # expires Friday 16:00, and its reminder (8 hours before) is due Friday 08:00
    project = make_project(freelancer, mode="request")
    with time_machine.travel(datetime(2026, 3, 4, 16, 0, tzinfo=UTC), tick=False) as traveller:
        reminded = buy(api(client_user), project, answers=answers_for(project)).json()["id"]
        withdrawn = buy(api(client_user), project, answers=answers_for(project)).json()["id"]
        # When at Friday 08:00 the worker fires the first one's reminder (the batch path)
        # and the client withdraws the second (a person's path)
        traveller.move_to(datetime(2026, 3, 6, 8, 0, tzinfo=UTC))
        call_command("worker", "--once", verbosity=0)
        _post(api(client_user), withdrawn, "withdraw")
        # Then both emails to the freelancer wait for 09:00, the same way
        reminder = Notification.objects.get(
            user=freelancer, kind="contract.reminder.expire_request", contract_id=reminded
        )
        withdrawal = Notification.objects.get(user=freelancer, kind="contract.withdraw")
        morning = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
        assert reminder.send_after == withdrawal.send_after == morning
        assert _freelancer_mail(mailoutbox, freelancer) == []
        # and go out at 09:00, the reminder naming the project and when the request expires
        traveller.move_to(morning)
        call_command("worker", "--once", verbosity=0)
    assert sorted(_freelancer_mail(mailoutbox, freelancer)) == sorted(
        [
            f"Answer soon: the request for {TITLE} expires Fri 6 Mar 16:00",
            f"Request withdrawn: {TITLE}",
        ]
    )
    assert reminder.about_entry_seq == Contract.objects.get(pk=reminded).state_entry_seq


def test_a_reminder_whose_deadline_falls_inside_quiet_hours_goes_at_once(
    api, client_user, freelancer, mailoutbox
) -> None:
    # Given a request on Wednesday 08:30 UTC: it expires Friday 08:30, before the
    # freelancer's day starts at 09:00, and is reminded at 00:30
    project = make_project(freelancer, mode="request")
    with time_machine.travel(datetime(2026, 3, 4, 8, 30, tzinfo=UTC), tick=False) as traveller:
        buy(api(client_user), project, answers=answers_for(project))
        traveller.move_to(datetime(2026, 3, 6, 0, 30, tzinfo=UTC))
        call_command("worker", "--once", verbosity=0)
    # Then the reminder did not wait for 09:00, which would be after the deadline
    reminder = Notification.objects.get(kind="contract.reminder.expire_request")
    assert reminder.emailed_at is not None
    assert reminder.title in _freelancer_mail(mailoutbox, freelancer)


def test_the_render_fails_loudly_on_an_unknown_field(clock, api, client_user, freelancer) -> None:
    contract = Contract.objects.get(pk=_instant(api, client_user, freelancer))
    facts = notices.Facts(contract=contract, actor="x", payload={}, clocks={})
    with pytest.raises(KeyError):
        notices.render("{projet}", "", facts=facts, deadline=None, zone="UTC")


def test_outbox_email_bodies_are_the_rendered_words(clock, api, client_user, freelancer) -> None:
    cid = _delivered(api, client_user, freelancer)
    note = Notification.objects.get(kind="contract.deliver")
    assert note.title == f"Delivery to review: {TITLE}, approve by Wed 11 Mar 10:00"
    assert "Fran delivered" in note.body and "> Here are three sketches." in note.body
    assert "approved automatically Wed 11 Mar 2026 at 10:00 (UTC time)" in note.body
    assert note.about_entry_seq == Contract.objects.get(pk=cid).state_entry_seq
    assert mail.outbox == [] or all(TITLE in m.subject for m in mail.outbox)
    assert START.weekday() == 2  # the dates above assume a Wednesday


def test_a_dispute_decision_tells_the_freelancer_what_their_share_pays(
    clock, api, client_user, freelancer, operator
) -> None:
    cid, _ = SCENARIOS["resolve_dispute"](api, client_user, freelancer, operator, clock)
    note = Notification.objects.get(user=freelancer, kind="contract.resolve_dispute")
    # 30% of $100 is $30; less the 10% service fee, $27. The client gets $70 back.
    assert "30% of the price goes to you ($27 after the service fee) and $70 back" in note.body
    assert Contract.objects.get(pk=cid).state == "completed"
