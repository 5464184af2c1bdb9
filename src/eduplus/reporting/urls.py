from django.urls import path

from eduplus.reporting import views

app_name = "reporting"
urlpatterns = [
    path("", views.home, name="home"),
    # Officers: tasks, progress, reminders, results, exports.
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:task_pk>/", views.task_detail, name="task"),
    path("tasks/<int:task_pk>/remind/", views.task_remind, name="task_remind"),
    path("tasks/<int:task_pk>/results/", views.task_results, name="task_results"),
    path("tasks/<int:task_pk>/export.csv", views.task_export_csv, name="task_export_csv"),
    path("tasks/<int:task_pk>/export.xlsx", views.task_export_xlsx, name="task_export_xlsx"),
    # Officers: form design and assignment.
    path("forms/", views.form_list, name="forms"),
    path("forms/<int:form_pk>/", views.form_detail, name="form"),
    path("forms/<int:form_pk>/assign/", views.task_create, name="task_create"),
    # Review (sign-off level by level) and the schools' side.
    path("submissions/<int:submission_pk>/review/", views.submission_review, name="review"),
    path("inbox/", views.inbox, name="inbox"),
    path("submissions/<int:submission_pk>/", views.submission_fill, name="fill"),
]
