"""``notify``: write the in-app notification now, send the email after commit.

Quiet hours (SPEC section 7): an email to a freelancer outside their working hours waits for
their next working moment, unless a deadline would pass first; the worker sends the waiting
ones (``notifications_send_due``).

Two ways in: ``notify`` for one change made by a person (the row is inserted at once, the
email goes out right after commit), and ``notification_row`` for the timer worker, which
builds the rows for a whole batch of timers; the batch inserts them in one statement
with ``send_after`` set, so ``notifications_send_due`` mails them in bulk after the batch
commits instead of one SELECT and one UPDATE per email.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import connection, transaction
from django.utils import timezone

from fairlance.core.sql import insert_new
from fairlance.notifications.models import Notification

if TYPE_CHECKING:
    from fairlance.core.workdays import WorkdaySpec

logger = logging.getLogger(__name__)


def quiet_until(
    spec: WorkdaySpec | None, now: datetime, deadline: datetime | None
) -> datetime | None:
    """When an email under ``spec``'s working hours may go, or None for "at once".

    None when there is no calendar, when ``now`` is inside working hours, or when the
    deadline the email is about would pass before the next working moment.
    """
    if spec is None:
        return None
    # A deadline already passed comes before any working moment (which is never earlier
    # than ``now``): answer without the calendar arithmetic, which is the costly part.
    if deadline is not None and deadline <= now:
        return None
    from fairlance.core.workdays import next_working_moment

    when = next_working_moment(spec, now)
    if when <= now or (deadline is not None and deadline <= when):
        return None
    return when


def _quiet_until(user: Any, now: datetime, deadline: datetime | None) -> datetime | None:
    calendar = getattr(user, "calendar", None)
    if calendar is None:
        return None
    if deadline is not None and deadline <= now:
        return None  # as in quiet_until, without loading the time off
    return quiet_until(calendar.as_spec(), now, deadline)


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
    note = Notification(
        user=user,
        kind=kind,
        title=title[:200],
        body=body,
        data=data or {},
        created_at=now,
        send_after=send_after,
    )
    insert_new(note)
    if user.email and send_after is None:
        transaction.on_commit(lambda: _send_email(note))
    return note


def notification_row(
    *,
    user: Any,
    kind: str,
    title: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    now: datetime,
    send_from: datetime,
    quiet_hours: bool = False,
    deadline: datetime | None = None,
    spec: WorkdaySpec | None = None,
) -> dict[str, Any]:
    """A notification's column values, for a batch writer (the timer worker).

    The same row ``notify`` would write, left for the caller to insert with many others.
    ``now`` is the wall clock for ``created_at`` and quiet hours, ``spec`` the user's
    working calendar (loaded once per batch by the caller; None: no quiet hours).
    ``send_from`` is when the outbox sender may mail it if no quiet hours hold it back:
    the batch's own instant, so the worker's sender run right after the batch finds it.
    The row only exists if the batch commits, so no email ever reports a rolled-back
    change. Users without an email address get no ``send_after``: nothing to send.
    """
    send_after = quiet_until(spec, now, deadline) if quiet_hours else None
    if send_after is None and user.email:
        send_after = send_from
    return {
        "user_id": user.pk,
        "kind": kind,
        "title": title[:200],
        "body": body,
        "data": data or {},
        "created_at": now,
        "read_at": None,
        "send_after": send_after,
        "emailed_at": None,
    }


def _send_email(note: Notification) -> bool:
    """Mail ``note``, just committed by ``notify``, and record that it went.

    The row and its user are the objects ``notify`` wrote: nothing to read back.
    """
    try:
        send_mail(note.title, note.body or note.title, None, [note.user.email])
    except Exception:  # the in-app notification stands; email is best effort
        logger.exception("email for notification %s failed", note.pk)
        return False
    Notification.objects.filter(pk=note.pk).update(emailed_at=timezone.now())
    return True


def notifications_send_due(*, now: datetime, limit: int = 2000, chunk: int = 500) -> int:
    """Send the emails whose ``send_after`` has come; returns how many were sent.

    These are the emails that waited for quiet hours to end and those of the timer
    worker's batches. Per ``chunk``: one SELECT and one UPDATE, and one mail connection
    for all of them (a new SMTP connection per email is what makes bulk mail slow).
    """
    sent = 0
    taken = 0
    after: datetime | None = None
    while taken < limit:
        size = min(chunk, limit - taken)
        due = _outbox_take(now, size, after)
        if not due:
            break
        taken += len(due)
        # The next chunk starts at the last one taken (see ``_outbox_take``).
        after = due[-1].send_after
        sent += _send_all(due)
        if len(due) < size:
            break
    return sent


def _outbox_take(now: datetime, size: int, after: datetime | None) -> list[Notification]:
    """Lock, mark and return up to ``size`` due emails, oldest first, from ``after`` on.

    Marked inside the lock, before sending: a crash after this point loses an email
    rather than sending it twice; two senders take disjoint rows (``SKIP LOCKED``).
    Starting at ``after`` (ties included) skips the index entries of the rows sent by the
    earlier chunks, which PostgreSQL keeps until vacuum and may have to re-read each time.
    """
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Walk the outbox index in order and stop at ``size``; with the statistics
                # of a small outbox the planner would collect and sort every due row.
                cursor.execute("SET LOCAL enable_sort = off")
        due = list(
            Notification.objects.select_for_update(skip_locked=skip_locked, of=("self",))
            .select_related("user")
            .only("title", "body", "send_after", "user__email")
            .filter(emailed_at__isnull=True, send_after__isnull=False, send_after__lte=now)
            .filter(**({"send_after__gte": after} if after is not None else {}))
            .order_by("send_after")[:size]
        )
        if due:
            Notification.objects.filter(pk__in=[note.pk for note in due]).update(emailed_at=now)
    return due


def _send_all(due: list[Notification]) -> int:
    messages = [
        EmailMessage(note.title, note.body or note.title, None, [note.user.email])
        for note in due
        if note.user.email
    ]
    if not messages:
        return 0
    sent = 0
    try:
        with get_connection() as mail:
            for message in messages:
                try:
                    sent += int(mail.send_messages([message]) or 0)
                except Exception:  # one bad address must not drop the rest
                    logger.exception("email to %s failed", message.to)
    except Exception:  # the mail server is down: the in-app notifications stand
        logger.exception("mail connection failed after %s of %s emails", sent, len(messages))
    return sent
