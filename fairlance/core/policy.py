"""The marketplace policy: windows, fees and switches that operators may change.

Policies are versioned. Each change makes a new ``PolicyVersion`` row and every contract
records the version it started under, so a change never rewrites running agreements.
``DEFAULT_POLICY`` is version 1 of a fresh install (SPEC section 3).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Policy:
    version: int = 1
    request_window_working_days: int = 2
    requirements_window_days: int = 3
    grace_window_working_days: int = 1
    review_window_days: int = 7
    late_grace_days: int = 1
    proposal_answer_working_days: int = 3
    # Working days of the side that answers a dispute (docs/decisions/0015).
    dispute_answer_days: int = 3
    feedback_window_days: int = 14
    feedback_removals_per_month: int = 1
    clearance_days: int = 5
    # Fees in basis points (1000 = 10%).
    freelancer_fee_bp: int = 1000
    client_fee_bp: int = 0
    default_capacity: int = 20
    publish_requires_review: bool = False

    def values(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("version")
        return data

    @classmethod
    def from_values(cls, version: int, values: dict[str, Any]) -> Policy:
        known = {f.name for f in fields(cls)} - {"version"}
        return replace(cls(), version=version, **{k: v for k, v in values.items() if k in known})


DEFAULT_POLICY = Policy()


def current_policy() -> Policy:
    """The policy in force now: the newest version, or the defaults on a fresh install."""
    from fairlance.core.models import PolicyVersion

    row = PolicyVersion.objects.order_by("-version").first()
    if row is None:
        return DEFAULT_POLICY
    return Policy.from_values(row.version, row.values)


# Stored versions, as this process has read them. A version never changes once stored (a
# change makes a new version; the admin refuses edits), so every contract page and
# transition after the first reads its contract's policy without a query. Code that stores
# a version and reads it back in a transaction that may roll back must call
# ``forget_stored_policies`` when it does (tests do, between tests).
_STORED: dict[int, Policy] = {}


def policy_for_version(version: int) -> Policy:
    """The policy a contract runs under; the defaults stand in for version 1 until stored."""
    from fairlance.core.models import PolicyVersion

    known = _STORED.get(version)
    if known is not None:
        return known
    row = PolicyVersion.objects.filter(version=version).first()
    if row is None:
        # Not remembered: version 1 may be stored later (``policy_in_force``).
        if version == DEFAULT_POLICY.version:
            return DEFAULT_POLICY
        raise LookupError(f"policy version {version} does not exist")
    policy = Policy.from_values(row.version, row.values)
    _STORED[version] = policy
    return policy


def forget_stored_policies() -> None:
    _STORED.clear()


def policy_in_force() -> Policy:
    """The current policy, making sure it is stored so contracts can link to their version.

    A fresh install has no rows: version 1 is created from the defaults on first use
    (``get_or_create`` so two first purchases at once agree on it).
    """
    from fairlance.core.models import PolicyVersion

    row = PolicyVersion.objects.order_by("-version").first()
    if row is None:
        row, _ = PolicyVersion.objects.get_or_create(
            version=DEFAULT_POLICY.version,
            defaults={"values": DEFAULT_POLICY.values(), "note": "defaults"},
        )
    return Policy.from_values(row.version, row.values)
