"""The transition table itself: reachable, no dead ends, timers never the only way out."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fairlance.contracts import models, process
from fairlance.contracts.lifecycle_doc import (
    API_DOC_PATH,
    DOC_PATH,
    render_lifecycle,
    render_transition_inputs,
)


def test_every_state_is_reachable_from_a_purchase() -> None:
    # Given the table, when we walk it from the initial pseudo-state
    reached = {process.INITIAL}
    frontier = [process.INITIAL]
    while frontier:
        state = frontier.pop()
        for t in process.transitions_from(state):
            for target in process.target_states(t):
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
    # Then every state the table mentions is reached
    assert set(process.STATES) <= reached
    assert set(process.STATES) == {
        "requested",
        "awaiting_requirements",
        "in_progress",
        "delivered",
        "disputed",
        "completed",
        "cancelled",
    }


def test_every_non_final_state_has_an_exit_and_final_states_have_none() -> None:
    for state in process.STATES:
        leaving = [
            t for t in process.transitions_from(state) if set(process.target_states(t)) - {state}
        ]
        if state in process.FINAL_STATES:
            # Only feedback happens after the end, and it never leaves the state.
            assert all(t.to_states == (process.SAME,) for t in process.transitions_from(state))
            assert {t.name for t in process.transitions_from(state)} == {
                "leave_feedback",
                "close_feedback",
            }
        else:
            assert leaving, f"{state} is a dead end"


def test_every_timer_state_also_has_a_person_transition() -> None:
    for t in process.TRANSITIONS:
        if t.timer is None:
            continue
        assert t.actors == ("system",)
        for state in t.from_states:
            people = [p for p in process.transitions_from(state) if p.by_person]
            assert people, f"{state} can only be left by the clock"


def test_timers_declare_their_anchor() -> None:
    anchors = {t.name: t.timer.anchor for t in process.TRANSITIONS if t.timer}
    assert anchors == {
        "expire_request": "first_entered",
        "expire_requirements": "first_entered",
        "mark_late": "first_entered",
        "auto_approve": "last_entered",
        "expire_dispute_answer": "last_entered",
        "expire_proposal": "armed",
        "close_feedback": "last_entered",
    }


def test_final_states_agree_with_the_model_constant_the_ledger_reads() -> None:
    assert models.FINAL_STATES == process.FINAL_STATES


def test_the_hold_state_is_the_one_the_ledger_check_expects_a_card_hold_in() -> None:
    # Given the transitions that enter a state with a card hold and those that leave it
    assert {process.REQUESTED} == models.HOLD_STATES
    entering = [t for t in process.TRANSITIONS if process.REQUESTED in process.target_states(t)]
    assert [t.name for t in entering] == ["request"]
    # Then every way out either captures the hold or releases it, once
    for t in process.transitions_from(process.REQUESTED):
        names = {a.__name__ for a in t.actions}
        assert len(names & {"capture_hold", "void_hold"}) == 1, t.name
        assert t.capture == ("capture_hold" in names), t.name


def test_every_ending_transition_records_an_outcome() -> None:
    # Given the actions of transitions into final states, each one records the ending
    enders = {
        "end_no_fault",
        "end_freelancer_fault",
        "end_completed",
        "split_escrow",
        # Ends the contract completed after the last milestone's release.
        "release_escrow",
        # ends only for an agreed cancellation (proposals.KINDS["cancel"]: end_by_agreement)
        "accept_proposal",
    }
    for t in process.TRANSITIONS:
        if set(process.target_states(t)) & process.FINAL_STATES and not (
            set(t.from_states) <= process.FINAL_STATES
        ):
            assert enders & {a.__name__ for a in t.actions}, t.name
            # ... and declares whether its ending counts for trust (SPEC section 6)
            assert t.counts in ("yes", "no", "paid_or_fault"), t.name
            assert (t.counts == "yes") == (not t.not_counted), t.name


def test_committed_lifecycle_doc_matches_the_table() -> None:
    assert DOC_PATH.read_text() == render_lifecycle()
    call_command("lifecycle_doc", "--check")


def test_lifecycle_doc_check_fails_when_the_api_table_is_stale(tmp_path, monkeypatch) -> None:
    # Given a copy of docs/api.md whose transition-input table lost a row
    from fairlance.contracts import lifecycle_doc
    from fairlance.contracts.management.commands import lifecycle_doc as command

    stale = tmp_path / "api.md"
    stale.write_text(API_DOC_PATH.read_text().replace("| `approve` | client |", "| `gone` |"))
    monkeypatch.setattr(command, "API_DOC_PATH", stale)
    # When the check runs, then it names the stale file
    with pytest.raises(CommandError, match="api.md"):
        call_command("lifecycle_doc", "--check")
    # And regenerating the table puts the row back from the declarations
    assert lifecycle_doc.render_api_doc(stale.read_text()) == API_DOC_PATH.read_text()


def test_api_doc_table_lists_every_declared_field() -> None:
    table = render_transition_inputs()
    for t in process.TRANSITIONS:
        if not t.by_person or process.INITIAL in t.from_states:
            continue
        row = next(line for line in table.splitlines() if line.startswith(f"| `{t.name}` |"))
        if t.subject or any(f.as_sent for f in t.payload):
            # Proposals and feedback: their own endpoints, described in their own section.
            section = "Feedback" if t.subject == "feedback" else "Proposals"
            assert f"[{section}](#{section.lower()})" in row
        else:
            for f in t.payload:
                assert f"`{f.name}`" in row
