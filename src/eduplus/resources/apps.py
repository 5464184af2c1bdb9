from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    """Digital education resources (数字教育资源): the textbook catalog and thematic
    collections, upload with content hashing, review by school and county, and Chinese
    full-text search with facets.

    Imports ``core``, ``regions``, ``schools`` and ``accounts``.
    """

    name = "eduplus.resources"
    label = "resources"
    verbose_name = "数字资源 Digital resources"
