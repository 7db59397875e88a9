from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "fairlance.files"
    label = "files"
