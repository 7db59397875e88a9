from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _on_connection_created(sender: Any, connection: Any, **kwargs: Any) -> None:
    from fairlance.core.sql import use_c_timestamp_loader

    use_c_timestamp_loader(connection)


class CoreConfig(AppConfig):
    name = "fairlance.core"
    label = "core"

    def ready(self) -> None:
        connection_created.connect(
            _on_connection_created, dispatch_uid="fairlance.core.c_timestamps"
        )
