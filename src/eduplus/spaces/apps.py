from django.apps import AppConfig


class SpacesConfig(AppConfig):
    name = "eduplus.spaces"
    label = "spaces"
    verbose_name = "学习空间 Learning spaces"
