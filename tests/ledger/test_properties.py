"""Property: any sequence of valid and invalid moves keeps the ledger's invariants."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlance.core.errors import Conflict
from fairlance.ledger import accounts as names
from fairlance.ledger.models import JournalEntry, LedgerAccount
from fairlance.ledger.selectors import ledger_check
from fairlance.ledger.services import Move, ledger_post, ledger_reverse

ACCOUNTS = [
    names.WORLD,
    names.escrow(1),
    names.escrow(2),
    names.freelancer_pending(1),
    names.freelancer_available(1),
    names.PLATFORM_FEES,
]

moves = st.builds(
    Move,
    source=st.sampled_from(ACCOUNTS),
    destination=st.sampled_from(ACCOUNTS),
    amount=st.integers(min_value=1, max_value=5_000),
).filter(lambda m: m.source != m.destination)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.lists(moves, min_size=1, max_size=4)),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=20)),
    ),
    min_size=1,
    max_size=25,
)


@pytest.mark.django_db
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=steps)
def test_random_moves_keep_the_invariants(steps) -> None:
    # Each example runs in a transaction rolled back at the end, so examples are independent.
    with transaction.atomic():
        model: dict[str, int] = defaultdict(int)
        posted: list[tuple[str, list[Move]]] = []
        for i, (kind, arg) in enumerate(steps):
            if kind == "post":
                # the model predicts whether the entry is allowed
                after = dict(model)
                for m in arg:
                    after[m.source] = after.get(m.source, 0) - m.amount
                    after[m.destination] = after.get(m.destination, 0) + m.amount
                allowed = all(v >= 0 for k, v in after.items() if k != names.WORLD)
                try:
                    ledger_post(reference=f"e{i}", memo="", postings=arg)
                except Conflict as exc:
                    assert exc.code == "insufficient_funds"
                    assert not allowed
                else:
                    assert allowed
                    model = defaultdict(int, after)
                    posted.append((f"e{i}", arg))
            elif posted:
                reference, arg_moves = posted[arg % len(posted)]
                was_reversed = JournalEntry.objects.filter(
                    reference=reference, reversed_by__isnull=False
                ).exists()
                after = dict(model)
                for m in arg_moves:
                    after[m.source] = after.get(m.source, 0) + m.amount
                    after[m.destination] = after.get(m.destination, 0) - m.amount
                allowed = all(v >= 0 for k, v in after.items() if k != names.WORLD)
                try:
                    ledger_reverse(reference=f"r{i}", original_reference=reference, memo="")
                except Conflict as exc:
                    expected = "already_reversed" if was_reversed else "insufficient_funds"
                    assert exc.code == expected
                    assert was_reversed or not allowed
                else:
                    assert allowed and not was_reversed
                    model = defaultdict(int, after)

            # after every step: stored balances match the model, and the check is clean
            stored = dict(LedgerAccount.objects.values_list("name", "balance"))
            assert {k: v for k, v in stored.items() if v} == {k: v for k, v in model.items() if v}
            assert ledger_check() == []
        transaction.set_rollback(True)
