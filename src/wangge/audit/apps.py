from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "wangge.audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from . import appendonly, recorder, signins

        recorder.connect()
        connection_created.connect(
            appendonly.register_sqlite_function, dispatch_uid="wangge-audit-sqlite-fn"
        )
        post_migrate.connect(
            appendonly.install_after_migrate, sender=self, dispatch_uid="wangge-audit-triggers"
        )
        user_logged_in.connect(signins.on_login, dispatch_uid="wangge-audit-login")
        user_logged_out.connect(signins.on_logout, dispatch_uid="wangge-audit-logout")
        user_login_failed.connect(signins.on_login_failed, dispatch_uid="wangge-audit-failed")
        user_locked_out.connect(signins.on_locked_out, dispatch_uid="wangge-audit-locked")
