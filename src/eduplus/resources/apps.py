from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# Same statement as migration 0002. SQLite drops a table's triggers whenever a migration
# rebuilds the table (most field changes do), so it is ensured after every migrate.
SQLITE_DELETE_TRIGGER = (
    "CREATE TRIGGER IF NOT EXISTS resources_fts_on_delete AFTER DELETE ON resources_resource "
    "WHEN old.search_key IS NOT NULL "
    "BEGIN DELETE FROM resources_fts WHERE rowid = old.search_key; END"
)


def ensure_search_triggers(using: str = "default", **kwargs: Any) -> None:
    from django.db import connections

    connection = connections[using]
    if connection.vendor != "sqlite":
        return  # PostgreSQL keeps triggers through ALTER TABLE
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if "resources_fts" in tables and "resources_resource" in tables:
            cursor.execute(SQLITE_DELETE_TRIGGER)


class ResourcesConfig(AppConfig):
    """Digital education resources (数字教育资源): the textbook catalog and thematic
    collections, upload with content hashing, review by school and county, and Chinese
    full-text search with facets; engagement (互动): ratings (评分), reviewed comments
    (评论), complaints (举报) with automatic withdrawal (自动下架), usage statistics
    (使用统计), the ranking (优质资源排行榜) and recommendations (为你推荐,
    ``selectors.recommended_for``). Sends ``signals.resource_event`` after each commit.

    Imports ``core``, ``regions``, ``schools`` and ``accounts``; reads a student's grade
    from ``people`` (their enrolment) for recommendations.
    """

    name = "eduplus.resources"
    label = "resources"
    verbose_name = "数字资源 Digital resources"

    def ready(self) -> None:
        post_migrate.connect(ensure_search_triggers, sender=self)
