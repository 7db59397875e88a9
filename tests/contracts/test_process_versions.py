"""A contract runs the process version it was created under (``Contract.process_version``)."""

from __future__ import annotations

from typing import Any

import pytest

from fairlance.contracts import process
from fairlance.contracts.models import Contract
from tests.conftest import assert_problem
from tests.contracts.conftest import buy, make_project

NUDGE = process.Transition(
    "nudge", ("client",), (process.IN_PROGRESS,), (process.SAME,), summary="test", since=2
)


@pytest.fixture
def version_with_nudge(monkeypatch: Any) -> None:
    """Process version 2 with one more transition than version 1 (and the current table)."""
    table = (*process.TRANSITIONS, NUDGE)
    monkeypatch.setattr(process, "TRANSITIONS", table)
    monkeypatch.setattr(process, "BY_NAME", {t.name: t for t in table})
    monkeypatch.setattr(
        process,
        "PROCESSES",
        {v: process.Process(v, tuple(t for t in table if t.since <= v)) for v in (1, 2)},
    )


def test_new_contracts_run_the_current_version(clock, api, client_user, freelancer) -> None:
    cid = buy(api(client_user), make_project(freelancer, questions=False)).json()["id"]
    assert Contract.objects.get(pk=cid).process_version == process.PROCESS_VERSION == 2


@pytest.mark.usefixtures("version_with_nudge")
@pytest.mark.parametrize(("version", "offered"), [(1, False), (2, True)])
def test_a_transition_added_later_is_never_offered_to_older_contracts(
    version, offered, clock, api, client_user, freelancer
) -> None:
    # Given a running contract made under ``version``
    c = api(client_user)
    cid = buy(c, make_project(freelancer, questions=False)).json()["id"]
    Contract.objects.filter(pk=cid).update(process_version=version)
    # Then only version 2 lists and fires the transition version 2 added
    assert ("nudge" in c.get(f"contracts/{cid}").json()["available_transitions"]) is offered
    r = c.post(f"contracts/{cid}/nudge", {})
    if offered:
        assert r.status_code == 200, r.content
        assert Contract.objects.get(pk=cid).last_event_seq == 2
    else:
        assert_problem(r, 409, "transition_not_available")
        assert Contract.objects.get(pk=cid).last_event_seq == 1


def test_unknown_version_is_refused_by_lookup() -> None:
    with pytest.raises(LookupError):
        process.process_for(99)
