from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    """Random inspections (双随机一公开): plans that draw their target schools and their
    inspectors at random from pools, with a published seed anyone can re-run, recorded
    results and a public page.

    Imports ``core``, ``regions``, ``schools`` and ``accounts``.
    """

    name = "eduplus.inspections"
    label = "inspections"
    verbose_name = "双随机一公开 Random inspections"
