from django.apps import AppConfig


class OperatorsConfig(AppConfig):
    name = "fairlance.operators"
    label = "operators"
