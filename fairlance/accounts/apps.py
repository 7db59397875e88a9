from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fairlance.accounts"
    label = "accounts"
