from django.urls import path

from eduplus.schools import views

app_name = "schools"
urlpatterns = [
    path("", views.school_list_view, name="list"),
    path("export.csv", views.school_export, name="export"),
    path("import/", views.school_import, name="import"),
    path("import/problems.csv", views.school_import_problems, name="import_problems"),
    path("<int:school_pk>/", views.school_detail, name="detail"),
]
