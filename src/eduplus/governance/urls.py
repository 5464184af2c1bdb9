"""Data governance pages under /data/; each area's views module lists its own routes."""

from eduplus.governance.views import (
    catalog,
    golden,
    imports,
    lineage,
    quality,
    sharing,
    sources,
)

app_name = "governance"

urlpatterns = [
    *golden.urlpatterns,
    *sources.urlpatterns,
    *imports.urlpatterns,
    *quality.urlpatterns,
    *catalog.urlpatterns,
    *lineage.urlpatterns,
    *sharing.urlpatterns,
]
