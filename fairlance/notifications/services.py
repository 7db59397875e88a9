"""``notify``: write the in-app notification now, send the email after commit.

Quiet hours (SPEC section 7): an email to a freelancer outside their working hours waits for
their next working moment, unless a deadline would pass first; the worker sends the waiting
ones (``notifications_send_due``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from fairlance.notifications.models import Notification

logger = logging.getLogger(__name__)


def _quiet_until(user: Any, now: datetime, deadline: datetime | None) -> datetime | None:
    from fairlance.core.workdays import next_working_moment

    calendar = getattr(user, "calendar", None)
    if calendar is None:
        return None
    when = next_working_moment(calendar.as_spec(), now)
    if when <= now or (deadline is not None and deadline <= when):
        return None
    return when


def notify(
    *,
    user: Any,
    kind: str,
    title: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    quiet_hours: bool = False,
    deadline: datetime | None = None,
) -> Notification:
    """Record a notification for ``user`` inside the caller's transaction.

    The email is queued with ``on_commit``: if the surrounding change rolls back, neither
    the row nor the email exists. A failing mail server never undoes the change. With
    ``quiet_hours`` the email waits for the user's next working moment unless ``deadline``
    (the clock the email is about) would pass before it.
    """
    now = timezone.now()
    send_after = _quiet_until(user, now, deadline) if quiet_hours else None
    note = Notification.objects.create(
        user=user,
        kind=kind,
        title=title[:200],
        body=body,
        data=data or {},
        created_at=now,
        send_after=send_after,
    )
    if user.email and send_after is None:
        transaction.on_commit(lambda: _send_email(note.pk))
    return note


def _send_email(notification_id: int) -> bool:
    note = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if note is None or note.emailed_at is not None or not note.user.email:
        return False
    try:
        send_mail(note.title, note.body or note.title, None, [note.user.email])
    except Exception:  # the in-app notification stands; email is best effort
        logger.exception("email for notification %s failed", notification_id)
        return False
    Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
    return True


def notifications_send_due(*, now: datetime, limit: int = 200) -> int:
    """Send the emails that waited for quiet hours to end; returns how many were sent."""
    sent = 0
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=skip_locked, of=("self",))
            .select_related("user")
            .filter(emailed_at__isnull=True, send_after__isnull=False, send_after__lte=now)
            .order_by("send_after", "id")[:limit]
        )
        # Marked first, inside the lock: a crash after this point loses an email rather
        # than sending it twice.
        Notification.objects.filter(pk__in=[note.pk for note in due]).update(emailed_at=now)
    for note in due:
        try:
            send_mail(note.title, note.body or note.title, None, [note.user.email])
            sent += 1
        except Exception:
            logger.exception("email for notification %s failed", note.pk)
    return sent
