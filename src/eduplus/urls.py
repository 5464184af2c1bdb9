from django.urls import include, path
from django.views.i18n import set_language

from eduplus.accounts.home import home
from eduplus.api import api

urlpatterns = [
    path("", home, name="home"),
    path("", include("eduplus.core.urls")),
    path("", include("eduplus.accounts.urls")),
    path("regions/", include("eduplus.regions.urls")),
    path("schools/", include("eduplus.schools.urls")),
    path("people/", include("eduplus.people.urls")),
    path("monitoring/", include("eduplus.monitoring.urls")),
    path("reports/", include("eduplus.reporting.urls")),
    path("inspections/", include("eduplus.inspections.urls")),
    path("data/", include("eduplus.governance.urls")),
    path("resources/", include("eduplus.resources.urls")),
    path("spaces/", include("eduplus.spaces.urls")),
    path("lessons/", include("eduplus.lessons.urls")),
    path("aggregation/", include("eduplus.aggregation.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", api.urls),
]

# The page of an unexpected error (503 and Retry-After when the embedded database is
# busy writing a big batch); 403 and 404 use the templates of the same names.
handler500 = "eduplus.core.views.server_error"
