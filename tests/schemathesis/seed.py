"""Prepare the database of a schemathesis run: migrate, load the demo, print two tokens.

Run by ``tests/schemathesis/run.sh`` with ``DATABASE_URL`` pointing at a temporary SQLite
file. Prints ``client=<token>`` and ``freelancer=<token>``: bearer tokens of Chloé (a
client with contracts) and Ana (a freelancer with projects and a waiting request).
"""

from __future__ import annotations

import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
    django.setup()
    from django.core.management import call_command

    from fairlance.accounts.models import ApiToken, User
    from fairlance.demo.load import demo_load

    call_command("migrate", verbosity=0)
    demo_load(images=False)
    for role, email in (
        ("client", "chloe@demo.fairlance.dev"),
        ("freelancer", "ana@demo.fairlance.dev"),
    ):
        raw = ApiToken.new_raw()
        ApiToken.objects.create(
            user=User.objects.get(email=email), digest=ApiToken.digest_of(raw), name="schemathesis"
        )
        print(f"{role}={raw}")


if __name__ == "__main__":
    main()
