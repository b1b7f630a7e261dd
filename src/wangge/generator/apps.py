from django.apps import AppConfig


class GeneratorConfig(AppConfig):
    name = "wangge.generator"
    verbose_name = "演示数据生成"
