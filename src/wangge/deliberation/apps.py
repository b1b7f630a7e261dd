from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    name = "wangge.deliberation"
    verbose_name = "议事"
