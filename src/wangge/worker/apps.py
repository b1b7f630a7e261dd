from django.apps import AppConfig


class WorkerConfig(AppConfig):
    name = "wangge.worker"
    label = "worker"
    verbose_name = "网格员端（平安通）"
