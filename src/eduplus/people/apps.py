from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """People (人员): one Person per human being, and their school roles — students
    (学生), teachers (教师), guardians (监护人). The data-governance module builds its
    golden records on this Person model rather than a second one.

    Imports ``core``, ``regions`` and ``schools``.
    """

    name = "eduplus.people"
    label = "people"
    verbose_name = "人员 People"
