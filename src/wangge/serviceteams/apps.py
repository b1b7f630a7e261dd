from django.apps import AppConfig


class ServiceTeamsConfig(AppConfig):
    name = "wangge.serviceteams"
    label = "serviceteams"
    verbose_name = "组团服务"
