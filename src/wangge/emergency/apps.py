from django.apps import AppConfig


class EmergencyConfig(AppConfig):
    name = "wangge.emergency"
    verbose_name = "平战转换（应急模式）"
