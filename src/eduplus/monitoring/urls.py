from django.urls import path

from eduplus.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.home, name="home"),
]
