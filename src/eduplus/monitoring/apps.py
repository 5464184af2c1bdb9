from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Informatization monitoring (信息化监测): school facts per year, campus assessment
    standards, indicators and policy targets as data, set-based rollups, dashboards and
    the annual development report (年度发展报告).

    Imports ``core``, ``regions``, ``schools`` and ``people``.
    """

    name = "eduplus.monitoring"
    label = "monitoring"
    verbose_name = "信息化监测 Monitoring"
