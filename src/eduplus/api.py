"""The JSON API (django-ninja); OpenAPI schema at /api/openapi.json, docs at /api/docs."""

from ninja import NinjaAPI

from eduplus.accounts.api import router as accounts_router
from eduplus.aggregation.api import router as aggregation_router
from eduplus.core.api import session_auth
from eduplus.governance.api import router as governance_router
from eduplus.governance.share_api import router as share_router
from eduplus.inspections.api import router as inspections_router
from eduplus.lessons.api import router as lessons_router
from eduplus.monitoring.api import router as monitoring_router
from eduplus.people.api import router as people_router
from eduplus.regions.api import router as regions_router
from eduplus.reporting.api import router as reporting_router
from eduplus.resources.api import router as resources_router
from eduplus.schools.api import router as schools_router
from eduplus.spaces.api import router as spaces_router

api = NinjaAPI(
    title="EduPlus API",
    version="1",
    description="互联网+教育 平台接口。All data is scoped to the caller's region, school or class.",
    auth=session_auth,
    urls_namespace="api",
)
api.add_router("/accounts", accounts_router)
api.add_router("/regions", regions_router)
api.add_router("/schools", schools_router)
api.add_router("/people", people_router)
api.add_router("/monitoring", monitoring_router)
api.add_router("/reports", reporting_router)
api.add_router("/inspections", inspections_router)
api.add_router("/data", governance_router)
api.add_router("/resources", resources_router)
api.add_router("/spaces", spaces_router)
api.add_router("/lessons", lessons_router)
api.add_router("/aggregation", aggregation_router)
# Token holders of approved sharing requests: bearer auth of its own (not the session).
api.add_router("/share", share_router)
