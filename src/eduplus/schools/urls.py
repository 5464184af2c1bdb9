from django.urls import path

from eduplus.schools import views

app_name = "schools"
urlpatterns = [
    path("", views.school_list_view, name="list"),
    path("export.csv", views.school_export, name="export"),
    path("import/", views.school_import, name="import"),
    path("<int:school_pk>/", views.school_detail, name="detail"),
]
