from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Report collection (通用信息报送): forms designed by officers, assigned to the
    schools of their region, filled in by schools, signed off level by level.

    Imports ``core``, ``regions``, ``schools`` and ``accounts``.
    """

    name = "eduplus.reporting"
    label = "reporting"
    verbose_name = "信息报送 Report collection"
