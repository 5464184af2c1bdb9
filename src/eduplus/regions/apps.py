from django.apps import AppConfig


class RegionsConfig(AppConfig):
    """The region tree (行政区划, GB/T 2260) and education agencies (教育行政部门).

    Imports only ``core``.
    """

    name = "eduplus.regions"
    label = "regions"
    verbose_name = "行政区划 Regions"
