from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "fairlance.ledger"
    label = "ledger"
