from django.urls import path

from eduplus.spaces import views, xapi_views

app_name = "spaces"
urlpatterns = [
    path("", views.home, name="home"),
    path("activity/", views.activity, name="activity"),
    path("favourites/", views.favourites, name="favourites"),
    path("favourites/<int:resource_pk>/toggle/", views.favourite_toggle, name="favourite_toggle"),
    path("teachers/<int:teacher_pk>/", views.teacher_page, name="teacher"),
    path("groups/", views.groups, name="groups"),
    path("groups/<int:group_pk>/", views.group_detail, name="group"),
    path("groups/<int:group_pk>/join/", views.group_join, name="group_join"),
    path("groups/<int:group_pk>/invite/", views.group_invite, name="group_invite"),
    path("groups/<int:group_pk>/posts/", views.group_post, name="group_post"),
    path("groups/<int:group_pk>/share/", views.group_share, name="group_share"),
    path("usage/", views.usage, name="usage"),
    path("usage/export.csv", views.usage_csv, name="usage_csv"),
    path("lrs-clients/", views.lrs_clients, name="lrs_clients"),
    path("lrs-clients/<int:client_pk>/revoke/", views.lrs_client_revoke, name="lrs_client_revoke"),
    path("xapi/statements", xapi_views.statements, name="xapi_statements"),
]
