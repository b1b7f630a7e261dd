from django.apps import AppConfig


class CivicConfig(AppConfig):
    """办事 (services). Named `civic`, not `services`: every app already has a
    `services.py` module, and `wangge.services.services` would read badly."""

    name = "wangge.civic"
    verbose_name = "办事"
