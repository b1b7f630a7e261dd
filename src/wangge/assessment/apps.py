from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "wangge.assessment"
    verbose_name = "考核评价"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .population import install_after_migrate

        # The stored population / points totals' triggers (a SQLite table
        # rebuild drops them): put back, and recount, after every migrate.
        post_migrate.connect(
            install_after_migrate, sender=self, dispatch_uid="wangge-assessment-population"
        )
