from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "wangge.open311"
    verbose_name = "Open311 接口"
