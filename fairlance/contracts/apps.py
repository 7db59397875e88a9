from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "fairlance.contracts"
    label = "contracts"
