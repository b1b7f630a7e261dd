from django.apps import AppConfig


class H5Config(AppConfig):
    name = "wangge.h5"
    label = "h5"
    verbose_name = "居民端"
