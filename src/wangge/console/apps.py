from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "wangge.console"
    label = "console"
    verbose_name = "指挥中心"
