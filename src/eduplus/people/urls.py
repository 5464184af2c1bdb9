from django.urls import path

from eduplus.people import views

app_name = "people"
urlpatterns = [
    path("students/", views.students, name="students"),
    path("students/<int:student_pk>/", views.student_detail, name="student"),
    path("students/<int:student_pk>/id-number/", views.student_reveal_id, name="student_reveal_id"),
    path("teachers/", views.teachers, name="teachers"),
    path("teachers/<int:teacher_pk>/", views.teacher_detail, name="teacher"),
]
