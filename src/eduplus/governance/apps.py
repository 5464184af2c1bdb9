from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Education data governance (教育大数据治理): source systems and the one
    authoritative source per data item (一数一源), batch imports with validation, one
    golden record per person (``people.Person``) resolved with Splink, data quality,
    the data catalog, lineage (溯源图谱) and controlled data sharing.

    Imports ``core``, ``regions``, ``schools``, ``people`` and ``accounts``.
    """

    name = "eduplus.governance"
    label = "governance"
    verbose_name = "数据治理 Data governance"
