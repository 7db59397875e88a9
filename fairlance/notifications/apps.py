from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "fairlance.notifications"
    label = "notifications"
