"""A purchase in a process of its own, for test_purchase_kill.py to kill.

Run as ``python -m tests.contracts.purchase_process <command> [options]`` with
``DATABASE_URL`` naming a database the test shares with it; each command prints one JSON
line on stdout. ``buy --die-after-payment`` prints ``PAID {...}`` as soon as the
processor has taken the money and then waits to be killed: the kill lands at the moment
that matters (after the charge, before the purchase's transaction), and nothing in the
application is there to help the test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime
from typing import Any


def _setup(args: argparse.Namespace) -> dict[str, Any]:
    from fairlance.accounts.models import ApiToken
    from tests.conftest import make_user
    from tests.contracts.conftest import answers_for, make_project

    freelancer = make_user("fran@example.com")
    client = make_user("carla@example.com")
    raw = ApiToken.new_raw()
    ApiToken.objects.create(user=client, digest=ApiToken.digest_of(raw))
    projects = {}
    for mode in ("instant", "request"):
        project = make_project(freelancer, mode=mode, questions=mode == "request")
        projects[mode] = {
            "id": project.pk,
            "tier": project.tiers.get().pk,
            "answers": answers_for(project) if mode == "request" else None,
        }
    return {"token": raw, "projects": projects}


def _die_after_payment() -> None:
    """The processor's answer arrives, then the process is as good as dead."""
    from django.utils import timezone

    from fairlance.payments.provider import LoggedProvider

    for name in ("charge", "authorize"):
        real = getattr(LoggedProvider, name)

        def pay_then_wait(self: Any, *, _real: Any = real, **kwargs: Any) -> Any:
            _real(self, **kwargs)
            line = {"paid_at": timezone.now().isoformat(), "reference": kwargs["reference"]}
            print("PAID " + json.dumps(line), flush=True)
            while True:
                time.sleep(60)

        setattr(LoggedProvider, name, pay_then_wait)


def _buy(args: argparse.Namespace) -> dict[str, Any]:
    from django.test import Client

    if args.die_after_payment:
        _die_after_payment()
    body: dict[str, Any] = {"tier_id": args.tier, "card_number": "4242424242424242"}
    if args.answers:
        body["answers"] = json.loads(args.answers)
    response = Client().post(
        f"/api/v1/projects/{args.project}/purchase",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {args.token}", "Idempotency-Key": args.key},
    )
    return {
        "status": response.status_code,
        "body": response.json(),
        "retry_after": response.get("Retry-After"),
        "replayed": response.get("Idempotent-Replayed"),
    }


def _worker(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    call_command("worker", "--once", verbosity=0)
    return {}


def _report(args: argparse.Namespace) -> dict[str, Any]:
    from fairlance.catalog.models import Project
    from fairlance.contracts.models import Contract, PurchaseAttempt
    from fairlance.core.models import IdempotencyRecord
    from fairlance.ledger.selectors import ledger_check
    from fairlance.payments.models import PaymentAttempt

    return {
        "contracts": list(
            Contract.objects.order_by("pk").values(
                "id", "project_id", "state", "charge_ref", "authorization_ref"
            )
        ),
        "payments": list(
            PaymentAttempt.objects.order_by("pk").values(
                "kind", "ok", "reference", "provider_ref", "charge_ref", "amount_minor"
            )
        ),
        "slots": dict(Project.objects.values_list("pk", "active_contracts")),
        "attempts": list(PurchaseAttempt.objects.order_by("pk").values("reference", "state")),
        "keys": list(IdempotencyRecord.objects.order_by("pk").values("key", "state")),
        "ledger_problems": ledger_check(),
    }


COMMANDS = {"setup": _setup, "buy": _buy, "worker": _worker, "report": _report}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="purchase_process")
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--at", help="run at this instant (ISO 8601), as the clock says")
    parser.add_argument("--project", type=int)
    parser.add_argument("--tier", type=int)
    parser.add_argument("--answers", help="requirement answers (JSON)")
    parser.add_argument("--token")
    parser.add_argument("--key")
    parser.add_argument("--die-after-payment", action="store_true")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
    import django

    django.setup()
    from django.conf import settings

    # As in the test suite: a real password hash per user is slow and beside the point.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    run = COMMANDS[args.command]
    if args.at:
        import time_machine

        with time_machine.travel(datetime.fromisoformat(args.at), tick=False):
            out = run(args)
    else:
        out = run(args)
    print(json.dumps(out, default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
