from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "wangge.notices"
    verbose_name = "知事（通知公告）"
