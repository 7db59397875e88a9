"""The ``fairlance`` command: ``fairlance demo|serve|worker|seed|bench|ledger …``.

Every subcommand is a Django management command, so ``python manage.py demo`` works too.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairlance.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fairlance", *sys.argv[1:]])


if __name__ == "__main__":
    main()
