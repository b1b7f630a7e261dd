from django.apps import AppConfig


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wangge.surveys"
    verbose_name = "居民问卷"
