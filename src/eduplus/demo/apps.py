from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic demo province (``eduplus seed``): deterministic, real region codes,
    synthetic people only. Imports the foundation apps' models and services."""

    name = "eduplus.demo"
    label = "demo"
    verbose_name = "演示数据 Demo"
