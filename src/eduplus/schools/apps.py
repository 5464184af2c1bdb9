from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    """The school registry (学校, 教学点, 班级) with its code tables, import and export.

    Imports ``core`` and ``regions``.
    """

    name = "eduplus.schools"
    label = "schools"
    verbose_name = "学校 Schools"
