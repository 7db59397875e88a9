"""``notify``: write the in-app notification now, send the email after commit.

Quiet hours (SPEC section 7): an email to a freelancer outside their working hours waits for
their next working moment, unless a deadline would pass first; the worker sends the waiting
ones (``notifications_send_due``). Whether an email may wait is decided here, from the
recipient's role on the contract (``waits_for_working_hours``), for every way in: people's
transitions, a purchase's first transition, the timer worker's batches and reminders.

Two ways in: ``notify`` for one change made by a person (the row is inserted at once, the
email goes out right after commit), and ``notification_row`` for the timer worker, which
builds the rows for a whole batch of timers; the batch inserts them in one statement
with ``send_after`` set, so ``notifications_send_due`` mails them in bulk after the batch
commits instead of one SELECT and one UPDATE per email.

An email that waited may be stale by the time it is due: a notice that asked for an action
(``about_entry``) is dropped, not sent, when its contract has left the state entry it was
written in (see ``_outbox_take``).
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


def waits_for_working_hours(role: str) -> bool:
    """Whether email to someone in ``role`` on a contract respects their quiet hours.

    Freelancers declare working hours; clients do not, and their emails (receipts, a
    delivery to review) go at once.
    """
    return role == "freelancer"


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
    role: str,
    kind: str,
    title: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    deadline: datetime | None = None,
    contract_id: int | None = None,
    about_entry: int | None = None,
) -> Notification:
    """Record a notification for ``user`` (``role`` on the contract) in the caller's
    transaction.

    The email is queued with ``on_commit``: if the surrounding change rolls back, neither
    the row nor the email exists. A failing mail server never undoes the change. For a
    role with quiet hours the email waits for the user's next working moment unless
    ``deadline`` (the clock the email is about) would pass before it. ``about_entry``
    (the contract's state entry) marks a notice that asks for an action then: if it
    waits and the contract has moved on when it is due, the email is dropped.
    """
    now = timezone.now()
    send_after = _quiet_until(user, now, deadline) if waits_for_working_hours(role) else None
    note = Notification(
        user=user,
        kind=kind,
        title=title[:200],
        body=body,
        data=data or {},
        created_at=now,
        send_after=send_after,
        contract_id=contract_id,
        about_entry_seq=about_entry,
    )
    insert_new(note)
    if user.email and send_after is None:
        transaction.on_commit(lambda: _send_email(note))
    return note


def notification_row(
    *,
    user: Any,
    role: str,
    kind: str,
    title: str,
    body: str = "",
    data: dict[str, Any] | None = None,
    now: datetime,
    send_from: datetime,
    deadline: datetime | None = None,
    spec: WorkdaySpec | None = None,
    contract_id: int | None = None,
    about_entry: int | None = None,
) -> dict[str, Any]:
    """A notification's column values, for a batch writer (the timer worker).

    The same row ``notify`` would write, left for the caller to insert with many others.
    ``now`` is the wall clock for ``created_at`` and quiet hours, ``spec`` the user's
    working calendar (loaded once per batch by the caller, for the roles
    ``waits_for_working_hours`` names; None: no quiet hours).
    ``send_from`` is when the outbox sender may mail it if no quiet hours hold it back:
    the batch's own instant, so the worker's sender run right after the batch finds it.
    The row only exists if the batch commits, so no email ever reports a rolled-back
    change. Users without an email address get no ``send_after``: nothing to send.
    """
    send_after = quiet_until(spec, now, deadline) if waits_for_working_hours(role) else None
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
        "contract_id": contract_id,
        "about_entry_seq": about_entry,
        "email_dropped_at": None,
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
    worker's batches. Per ``chunk``: one SELECT and one UPDATE (two when some are dropped
    as stale), and one mail connection for all of them (a new SMTP connection per email
    is what makes bulk mail slow).
    """
    sent = 0
    taken = 0
    after: datetime | None = None
    while taken < limit:
        size = min(chunk, limit - taken)
        due, fresh = _outbox_take(now, size, after)
        if not due:
            break
        taken += len(due)
        # The next chunk starts at the last one taken (see ``_outbox_take``); a dropped
        # row's ``send_after`` was cleared in the database, not on this object.
        after = due[-1].send_after
        sent += _send_all(fresh)
        if len(due) < size:
            break
    return sent


def _outbox_take(
    now: datetime, size: int, after: datetime | None
) -> tuple[list[Notification], list[Notification]]:
    """Lock and mark up to ``size`` due emails, oldest first, from ``after`` on; returns
    them all and those to send.

    Marked inside the lock, before sending: a crash after this point loses an email
    rather than sending it twice; two senders take disjoint rows (``SKIP LOCKED``).
    Starting at ``after`` (ties included) skips the index entries of the rows sent by the
    earlier chunks, which PostgreSQL keeps until vacuum and may have to re-read each time.
    Stale ones (``_is_stale``) are marked dropped instead, and not among those to send.
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
            .select_related("user", "contract")
            .only(
                "title",
                "body",
                "send_after",
                "about_entry_seq",
                "user__email",
                "contract__state_entry_seq",
            )
            .filter(emailed_at__isnull=True, send_after__isnull=False, send_after__lte=now)
            .filter(**({"send_after__gte": after} if after is not None else {}))
            .order_by("send_after")[:size]
        )
        stale = [note for note in due if _is_stale(note)]
        fresh = [note for note in due if not _is_stale(note)]
        if stale:
            Notification.objects.filter(pk__in=[note.pk for note in stale]).update(
                send_after=None, email_dropped_at=now
            )
        if fresh:
            Notification.objects.filter(pk__in=[note.pk for note in fresh]).update(emailed_at=now)
    return due, fresh


def _is_stale(note: Notification) -> bool:
    """A notice that asked for an action whose contract has left that state entry."""
    if note.about_entry_seq is None or note.contract_id is None:
        return False
    contract = note.contract
    return contract is not None and contract.state_entry_seq != note.about_entry_seq


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
