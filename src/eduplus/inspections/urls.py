from django.urls import path

from eduplus.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.home, name="home"),
]
