"""Races with real threads on PostgreSQL (committed transactions, not rolled-back tests).

Each race is paired with a deliberately naive variant of the guarded step, run the same way,
to show the test would catch the race if the guard were removed.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from fairlance.catalog.models import Project
from fairlance.contracts.engine import Actor, apply_transition, fire_due_timers
from fairlance.contracts.models import Contract, ContractEvent, Timer
from fairlance.contracts.services import contract_purchase
from fairlance.ledger.accounts import escrow
from fairlance.ledger.models import JournalEntry
from fairlance.ledger.selectors import balance, ledger_check
from fairlance.payments.models import PaymentAttempt
from tests.concurrency import run_in_threads
from tests.conftest import ApiClient, is_postgres, make_user
from tests.contracts.conftest import GOOD_CARD, PRICE, make_project

pytestmark = [
    pytest.mark.postgres,
    # serialized_rollback restores the seeded categories that a flush would remove.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (set DATABASE_URL)"),
]


# --- capacity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["instant", "request"])
def test_thirty_buyers_for_the_last_slot_make_one_contract_and_one_payment(mode: str) -> None:
    from fairlance.contracts.models import PurchaseAttempt
    from tests.contracts.conftest import answers_for

    # Given a project with one free slot and 30 clients
    freelancer = make_user("fran@example.com")
    project = make_project(freelancer, mode=mode, questions=mode == "request", capacity=1)
    buyers = [make_user(f"buyer{i}@example.com") for i in range(30)]
    answers = answers_for(project) if mode == "request" else None

    # When all 30 buy at once
    def attempt(i: int) -> Any:
        return contract_purchase(
            client=buyers[i],
            project_id=project.pk,
            tier_id=project.tiers.first().pk,
            answers=answers,
            card_number=GOOD_CARD,
        ).contract

    results = run_in_threads(30, attempt)

    # Then exactly one contract exists and everyone else got capacity_full
    won = [r for r in results if isinstance(r, Contract)]
    lost = [r for r in results if not isinstance(r, Contract)]
    assert len(won) == 1
    assert {getattr(e, "code", repr(e)) for e in lost} == {"capacity_full"}
    assert Contract.objects.count() == 1
    assert Project.objects.get(pk=project.pk).active_contracts == 1
    # And the processor saw one card only, the winner's: the losers were refused before
    # any charge or hold (nothing to refund or release), and nothing was captured
    (taken,) = PaymentAttempt.objects.all()
    assert (taken.kind, taken.ok, taken.payer_id) == (
        "charge" if mode == "instant" else "authorize",
        True,
        won[0].client_id,
    )
    assert taken.provider_ref in (won[0].charge_ref, won[0].authorization_ref)
    assert list(PurchaseAttempt.objects.values_list("state", flat=True)) == ["kept"]
    assert ledger_check() == []


def test_naive_capacity_check_oversells() -> None:
    # The same race with read-then-write instead of the conditional UPDATE.
    freelancer = make_user("fran@example.com")
    project = make_project(freelancer, questions=False, capacity=1)
    read_done = threading.Barrier(10)

    def naive(i: int) -> bool:
        with transaction.atomic():
            row = Project.objects.get(pk=project.pk)
            free = row.active_contracts < row.capacity
            read_done.wait()  # everyone has read before anyone writes
            if free:
                Project.objects.filter(pk=project.pk).update(
                    active_contracts=F("active_contracts") + 1
                )
            return free

    results = run_in_threads(10, naive)
    assert sum(1 for r in results if r is True) > 1
    assert Project.objects.get(pk=project.pk).active_contracts > project.capacity


# --- a click racing a timer ---------------------------------------------------------------------


def delivered_contract(review_passed: bool = True) -> Contract:
    freelancer = make_user("fran@example.com")
    client = make_user("carla@example.com")
    project = make_project(freelancer, questions=False)
    contract = contract_purchase(
        client=client,
        project_id=project.pk,
        tier_id=project.tiers.first().pk,
        card_number=GOOD_CARD,
    ).contract
    apply_transition(
        contract_id=contract.pk,
        name="deliver",
        actor=Actor("freelancer", freelancer),
        payload={"note": "Done"},
    )
    return Contract.objects.get(pk=contract.pk)


def test_approve_racing_auto_approve_releases_once() -> None:
    contract = delivered_contract()
    later = timezone.now() + timedelta(days=8)

    def approve() -> Any:
        return apply_transition(
            contract_id=contract.pk,
            name="approve",
            actor=Actor("client", contract.client),
            payload={},
        )

    def timer() -> Any:
        return fire_due_timers(now=later)

    results = run_in_threads(2, lambda i: approve() if i == 0 else timer())
    releases = JournalEntry.objects.filter(reference__startswith=f"contract:{contract.pk}:release")
    assert releases.count() == 1
    assert ContractEvent.objects.filter(contract=contract, to_state="completed").count() == 1
    assert balance(escrow(contract.pk)) == 0
    assert ledger_check() == []
    # Whoever lost saw a clean outcome: a 409 for the click, or a skipped timer. (The
    # worker may also fire the "auto-approve coming" reminder, so its return value, the
    # number of timers fired, is not the measure here: the auto_approve row is.)
    auto_approve = Timer.objects.get(contract=contract, transition="auto_approve")
    if isinstance(results[0], Exception):
        assert getattr(results[0], "code", None) == "transition_not_available"
        assert auto_approve.status == "fired"
    else:
        assert auto_approve.status == "skipped"


def test_naive_approve_without_the_row_lock_decides_twice() -> None:
    contract = delivered_contract()
    read_done = threading.Barrier(2)

    def naive(i: int) -> bool:
        with transaction.atomic():
            row = Contract.objects.get(pk=contract.pk)  # no select_for_update
            ok = row.state == "delivered"
            read_done.wait()
            if ok:
                Contract.objects.filter(pk=contract.pk).update(state="completed")
            return ok

    assert run_in_threads(2, naive) == [True, True]


# --- two workers, many timers ------------------------------------------------------------------


def many_due_timers(n: int) -> list[int]:
    """``n`` in-progress contracts whose delivery is overdue, each with its mark_late timer.

    Built with bulk inserts: a thousand purchases through the API would take minutes. The
    rows are what the engine itself writes when work starts (see actions/engine).
    """
    freelancer = make_user("fran@example.com")
    client = make_user("carla@example.com")
    project = make_project(freelancer, questions=False)
    past = timezone.now() - timedelta(hours=1)
    contracts = Contract.objects.bulk_create(
        [
            Contract(
                client=client,
                freelancer=freelancer,
                project=project,
                snapshot={"project_title": "x"},
                purchase_mode="instant",
                price_minor=PRICE,
                policy_version=1,
                process_version=1,
                state="in_progress",
                state_entry_seq=1,
                last_event_seq=1,
                delivery_due_at=past,
            )
            for _ in range(n)
        ]
    )
    Timer.objects.bulk_create(
        [
            Timer(
                contract=c,
                transition="mark_late",
                clock="delivery_due",
                fire_at=past,
                armed_at_event_seq=1,
            )
            for c in contracts
        ]
    )
    return [c.pk for c in contracts]


def test_two_workers_fire_a_thousand_timers_each_exactly_once() -> None:
    ids = many_due_timers(1000)
    fired = run_in_threads(2, lambda i: fire_due_timers(limit=5000))
    assert all(isinstance(n, int) for n in fired), fired
    assert sum(fired) == 1000
    assert Timer.objects.filter(status="fired").count() == 1000
    assert ContractEvent.objects.filter(name="mark_late").count() == 1000
    assert Contract.objects.filter(pk__in=ids, late=True).count() == 1000


def test_naive_workers_without_locks_fire_timers_twice() -> None:
    many_due_timers(50)
    ready = threading.Barrier(2)

    def naive(i: int) -> int:
        due = list(Timer.objects.filter(status="pending"))  # no claim, no lock
        ready.wait()
        for t in due:
            with transaction.atomic():
                ContractEvent.objects.create(
                    contract_id=t.contract_id,
                    seq=1000 + i,
                    name="mark_late",
                    actor_role="system",
                    from_state="in_progress",
                    to_state="in_progress",
                )
                Timer.objects.filter(pk=t.pk).update(status="fired")
        return len(due)

    assert run_in_threads(2, naive) == [50, 50]
    assert ContractEvent.objects.filter(name="mark_late").count() == 100


# --- the same Idempotency-Key twenty times at once -----------------------------------------


def test_same_idempotency_key_twenty_times_gives_one_contract_and_one_charge() -> None:
    freelancer = make_user("fran@example.com")
    client = make_user("carla@example.com")
    project = make_project(freelancer, questions=False)
    body = {"tier_id": project.tiers.first().pk, "card_number": GOOD_CARD}
    clients = [ApiClient(client) for _ in range(20)]

    def send(i: int) -> int:
        resp = clients[i].post(
            f"projects/{project.pk}/purchase", body, **{"Idempotency-Key": "same"}
        )
        return int(resp.status_code)

    statuses = run_in_threads(20, send)
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert Contract.objects.count() == 1
    assert PaymentAttempt.objects.filter(kind="charge").count() == 1


def test_without_the_key_twenty_requests_buy_twenty_times() -> None:
    freelancer = make_user("fran@example.com")
    client = make_user("carla@example.com")
    project = make_project(freelancer, questions=False, capacity=30)
    body = {"tier_id": project.tiers.first().pk, "card_number": GOOD_CARD}
    clients = [ApiClient(client) for _ in range(20)]
    statuses = run_in_threads(
        20, lambda i: clients[i].post(f"projects/{project.pk}/purchase", body).status_code
    )
    assert statuses.count(201) == 20
    assert Contract.objects.count() == 20


# --- a worker killed mid-run ----------------------------------------------------------------------


def test_a_worker_killed_mid_run_loses_and_doubles_nothing() -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    # Given 600 due timers and a worker process draining them
    many_due_timers(600)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "fairlance.settings",
    }
    manage = str(Path(__file__).resolve().parents[2] / "manage.py")
    # Batches of 50 (the default is larger than this whole queue): the kill lands mid-run.
    argv = [sys.executable, manage, "worker", "--batch", "50"]
    worker = subprocess.Popen(argv, env=env)  # noqa: S603
    try:
        # When it has fired some (but not all) of them, it is killed without warning
        for _ in range(600):
            done = Timer.objects.filter(status="fired").count()
            if done >= 20:
                break
            time.sleep(0.1)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    fired_before_restart = Timer.objects.filter(status="fired").count()
    assert 0 < fired_before_restart < 600
    # A batch commits whole or not at all: the batch in flight was lost, none half-done
    assert fired_before_restart % 50 == 0
    assert ContractEvent.objects.filter(name="mark_late").count() == fired_before_restart
    # Then a restarted worker finishes the job: every timer fired once, none twice
    subprocess.run([sys.executable, manage, "worker", "--once"], env=env, check=True, timeout=600)  # noqa: S603
    assert Timer.objects.filter(status="fired").count() == 600
    assert ContractEvent.objects.filter(name="mark_late").count() == 600
    assert Contract.objects.filter(late=True).count() == 600


# --- accept racing withdraw: the card hold is captured or released, never both -----------------


def _requests(count: int) -> tuple[Any, Any, list[int]]:
    from tests.contracts.conftest import answers_for

    freelancer = make_user("fran@example.com")
    client = make_user("carla@example.com")
    project = make_project(freelancer, mode="request", capacity=count)
    ids = [
        contract_purchase(
            client=client,
            project_id=project.pk,
            tier_id=project.tiers.first().pk,
            answers=answers_for(project),
            card_number=GOOD_CARD,
        ).contract.pk
        for _ in range(count)
    ]
    return freelancer, client, ids


def _race_accept_and_withdraw(freelancer: Any, client: Any, cid: int) -> list[Any]:
    from fairlance.contracts.services import contract_transition

    def act(i: int) -> Any:
        if i == 0:
            return contract_transition(
                contract_id=cid, name="accept", actor=Actor("freelancer", freelancer)
            )
        return contract_transition(contract_id=cid, name="withdraw", actor=Actor("client", client))

    return run_in_threads(2, act)


def _assert_money_consistent(cid: int) -> str:
    """The card and the ledger agree on the outcome of one contract; returns the winner."""
    from fairlance.ledger.selectors import contract_money
    from fairlance.payments.models import ProviderIntent

    contract = Contract.objects.get(pk=cid)
    ok = PaymentAttempt.objects.filter(ok=True)
    captures = list(ok.filter(kind="capture", charge_ref=contract.authorization_ref))
    refunded = sum(
        r.amount_minor
        for r in ok.filter(kind="refund", charge_ref__in=[c.provider_ref for c in captures])
    )
    taken = sum(c.amount_minor for c in captures) - refunded
    money = contract_money(contract_id=cid)
    assert not ProviderIntent.objects.filter(contract_id=cid, status="pending").exists()
    if contract.state == "in_progress":
        assert (taken, money.paid_in, balance(escrow(cid)), money.on_hold) == (PRICE,) * 3 + (0,)
        assert contract.charge_ref == captures[0].provider_ref
        return "accept"
    assert (contract.state, contract.ending, contract.fault) == ("cancelled", "withdraw", "none")
    assert (taken, money.paid_in, balance(escrow(cid)), money.on_hold) == (0, 0, 0, 0)
    assert ok.filter(kind="void", charge_ref=contract.authorization_ref).exists() or captures
    return "withdraw"


def test_accept_racing_withdraw_has_one_winner_and_consistent_money() -> None:
    # Given six requests, each accepted and withdrawn at the same moment
    freelancer, client, ids = _requests(6)
    winners = []
    for cid in ids:
        results = _race_accept_and_withdraw(freelancer, client, cid)
        # Then exactly one call won; the other got the usual 409
        won = [r for r in results if isinstance(r, Contract)]
        lost = [r for r in results if not isinstance(r, Contract)]
        assert len(won) == 1, results
        assert [getattr(e, "code", repr(e)) for e in lost] == ["transition_not_available"]
        winners.append(_assert_money_consistent(cid))
    assert ledger_check() == []
    assert Project.objects.get().active_contracts == winners.count("accept")


def test_a_withdraw_that_commits_after_the_capture_leaves_the_capture_refunded(
    monkeypatch: Any,
) -> None:
    from fairlance.contracts.services import contract_transition
    from fairlance.payments.provider import SandboxProvider

    # Given a processor that captures slowly: the client's withdraw commits meanwhile
    freelancer, client, (cid,) = _requests(1)
    captured = threading.Event()
    withdrawn = threading.Event()
    capture = SandboxProvider.capture

    def slow_capture(self: Any, **kwargs: Any) -> Any:
        result = capture(self, **kwargs)
        captured.set()
        assert withdrawn.wait(timeout=30)
        return result

    monkeypatch.setattr(SandboxProvider, "capture", slow_capture)

    def act(i: int) -> Any:
        if i == 0:
            return contract_transition(
                contract_id=cid, name="accept", actor=Actor("freelancer", freelancer)
            )
        assert captured.wait(timeout=30)
        try:
            return contract_transition(
                contract_id=cid, name="withdraw", actor=Actor("client", client)
            )
        finally:
            withdrawn.set()

    accepted, withdrew = run_in_threads(2, act)
    # Then the withdrawal won, the accept was the usual 409, and the capture went back
    assert isinstance(withdrew, Contract)
    assert getattr(accepted, "code", None) == "transition_not_available"
    assert _assert_money_consistent(cid) == "withdraw"
    assert PaymentAttempt.objects.filter(kind="refund", ok=True).count() == 1
    assert ledger_check() == []


def test_two_accepts_at_once_keep_the_capture_the_contract_posted(monkeypatch: Any) -> None:
    from fairlance.contracts.services import contract_transition
    from fairlance.payments.provider import LoggedProvider

    # Given a request, and a freelancer who clicks Accept twice: both clicks pass the check
    # and capture before either reaches the contract. The processor answers one capture
    # at a time (real processors serialize a reference), so the second is replayed the
    # first's capture.
    freelancer, _client, (cid,) = _requests(1)
    one_at_a_time = threading.Lock()
    both_captured = threading.Barrier(2)
    capture = LoggedProvider.capture

    def capture_then_wait_for_the_other_click(self: Any, **kwargs: Any) -> Any:
        with one_at_a_time:
            result = capture(self, **kwargs)
        both_captured.wait(timeout=30)
        return result

    monkeypatch.setattr(LoggedProvider, "capture", capture_then_wait_for_the_other_click)

    # When both clicks' transitions race for the contract
    results = run_in_threads(
        2,
        lambda i: contract_transition(
            contract_id=cid, name="accept", actor=Actor("freelancer", freelancer)
        ),
    )
    # Then one accepted and the other got the usual 409
    won = [r for r in results if isinstance(r, Contract)]
    lost = [r for r in results if not isinstance(r, Contract)]
    assert len(won) == 1, results
    assert [getattr(e, "code", repr(e)) for e in lost] == ["transition_not_available"]
    # And the one capture stays taken, in escrow: the loser's undo saw the contract keep it
    (captured,) = PaymentAttempt.objects.filter(kind="capture", ok=True)
    assert Contract.objects.get(pk=cid).charge_ref == captured.provider_ref
    assert _assert_money_consistent(cid) == "accept"
    assert not PaymentAttempt.objects.filter(kind="refund").exists()
    assert ledger_check() == []
