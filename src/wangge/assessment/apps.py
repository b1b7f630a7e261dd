from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "wangge.assessment"
    verbose_name = "考核评价"
