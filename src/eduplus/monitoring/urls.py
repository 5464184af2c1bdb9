from django.urls import path

from eduplus.monitoring import report_views, views

app_name = "monitoring"
urlpatterns = [
    path("", views.home, name="home"),
    path("r/<str:region_code>/", views.region_dashboard, name="region"),
    path("r/<str:region_code>/indicator/", views.indicator_detail, name="indicator"),
    path("r/<str:region_code>/export.xlsx", report_views.region_xlsx, name="region_xlsx"),
    path("r/<str:region_code>/report.pdf", report_views.region_pdf, name="region_pdf"),
    path("s/<int:school_pk>/", views.school_dashboard, name="school"),
    path("s/<int:school_pk>/edit/", views.facts_edit, name="facts_edit"),
    path("s/<int:school_pk>/assess/", views.campus_assess_view, name="assess"),
    path("s/<int:school_pk>/evidence/", views.evidence_download, name="evidence"),
    path("import/", views.facts_import_view, name="import"),
    path("indicators/", views.indicator_catalog, name="catalog"),
    path("indicators/edit/", views.indicator_edit, name="indicator_edit"),
    path("targets/edit/", views.target_edit, name="target_edit"),
    path("documents/new/", views.document_new, name="document_new"),
]
