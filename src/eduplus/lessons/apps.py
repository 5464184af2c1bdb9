from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "eduplus.lessons"
    label = "lessons"
    verbose_name = "一师一优课 Lessons"
