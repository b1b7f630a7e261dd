from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "wangge.visits"
    label = "visits"
    verbose_name = "走访与结对关爱"
