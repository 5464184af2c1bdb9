from django.urls import path

from eduplus.inspections import views

app_name = "inspections"
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/new/", views.plan_create, name="plan_create"),
    path("plans/<int:plan_pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:plan_pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:plan_pk>/draw/", views.plan_draw, name="plan_draw"),
    path("plans/<int:plan_pk>/publish/", views.plan_publish, name="plan_publish"),
    path("plans/<int:plan_pk>/cancel/", views.plan_cancel, name="plan_cancel"),
    path("plans/<int:plan_pk>/verify/", views.plan_verify, name="plan_verify"),
    path("plans/<int:plan_pk>/export.csv", views.plan_export, name="plan_export"),
    path("targets/<int:target_pk>/result/", views.result_edit, name="result_edit"),
    path("targets/<int:target_pk>/publish/", views.result_publish, name="result_publish"),
    path("pools/", views.pools, name="pools"),
    path("pools/<int:pool_pk>/", views.pool_detail, name="pool_detail"),
    path("pools/<int:pool_pk>/import/", views.pool_import, name="pool_import"),
    path("inspectors/<int:inspector_pk>/", views.inspector_edit, name="inspector_edit"),
    # Public (双随机一公开): no login; published plans only.
    path("public/", views.public_list, name="public_list"),
    path("public/plans/<int:public_plan_pk>/", views.public_plan, name="public_plan"),
    path(
        "public/plans/<int:public_plan_pk>/inputs.json",
        views.public_inputs,
        name="public_inputs",
    ),
    path("public/verify/", views.public_verify, name="public_verify"),
]
