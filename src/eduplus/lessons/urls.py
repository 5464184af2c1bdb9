from django.urls import path

from eduplus.lessons import views

app_name = "lessons"
urlpatterns = [
    path("", views.home, name="home"),
    path("activities/new/", views.activity_create, name="activity_create"),
    path("activities/<int:activity_pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:activity_pk>/act/", views.activity_act, name="activity_act"),
    path("activities/<int:activity_pk>/export/", views.activity_export, name="activity_export"),
    path("activities/<int:activity_pk>/my-lesson/", views.lesson_submit, name="lesson_submit"),
    path("lessons/<int:lesson_pk>/", views.lesson_detail, name="lesson_detail"),
    path("lessons/<int:lesson_pk>/file/", views.lesson_file, name="lesson_file"),
    path("review/", views.review, name="review"),
    path("showcase/", views.showcase, name="showcase"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:round_pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:round_pk>/act/", views.round_act, name="round_act"),
]
