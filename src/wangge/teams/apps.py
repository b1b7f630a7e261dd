from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "wangge.teams"
    verbose_name = "队伍与权限"
