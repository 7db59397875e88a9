from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fairlance.core"
    label = "core"
