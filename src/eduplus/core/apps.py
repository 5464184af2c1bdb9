from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Base pieces shared by every module: scoping, audit, permissions, file reading.

    Owns no domain logic and imports no domain app.
    """

    name = "eduplus.core"
    label = "core"
    verbose_name = "核心 Core"
