from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "fairlance.reviews"
    label = "reviews"
