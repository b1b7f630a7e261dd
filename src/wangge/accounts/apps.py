from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wangge.accounts"
    verbose_name = "账号"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .safety import mark_seen

        user_logged_in.connect(mark_seen, dispatch_uid="wangge.accounts.safety.mark_seen")
