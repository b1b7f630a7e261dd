from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "wangge.points"
    verbose_name = "积分"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .ledger import install_after_migrate

        post_migrate.connect(
            install_after_migrate, sender=self, dispatch_uid="wangge-points-ledger"
        )
