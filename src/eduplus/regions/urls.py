from django.urls import path

from eduplus.regions import views

app_name = "regions"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("<str:region_code>/", views.detail, name="detail"),
]
