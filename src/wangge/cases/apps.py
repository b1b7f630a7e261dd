from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wangge.cases"
    verbose_name = "工单"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from wangge.areas.models import Area
        from wangge.teams.models import Department

        from .models import Category
        from .services import clear_caches

        for model in (Category, Department, Area):
            post_save.connect(clear_caches, sender=model, dispatch_uid=f"cases-cache-{model}")
            post_delete.connect(clear_caches, sender=model, dispatch_uid=f"cases-cache-d-{model}")
