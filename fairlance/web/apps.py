from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fairlance.web"
    label = "web"
