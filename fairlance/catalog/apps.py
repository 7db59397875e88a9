from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "fairlance.catalog"
    label = "catalog"
