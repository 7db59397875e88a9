from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "fairlance.payments"
    label = "payments"
