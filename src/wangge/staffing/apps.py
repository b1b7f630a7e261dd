from django.apps import AppConfig


class StaffingConfig(AppConfig):
    name = "wangge.staffing"
    label = "staffing"
    verbose_name = "网格员队伍管理"
