from django.apps import AppConfig


class QuotesConfig(AppConfig):
    name = "fairlance.quotes"
    label = "quotes"
