from __future__ import annotations

from typing import Any

from fairlance.core.models import AuditEntry


def audit_record(
    *, actor: Any, action: str, target: Any, note: str = "", **data: Any
) -> AuditEntry:
    """Append an audit entry for an operator action (call inside the action's transaction)."""
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=type(target).__name__.lower(),
        target_id=str(target.pk),
        note=note,
        data=data,
    )
