from django.urls import path

from eduplus.resources import views

app_name = "resources"
urlpatterns = [
    # Everyone with resource.view: search, the catalog, a resource, its file.
    path("", views.search_page, name="search"),
    path("catalog/", views.catalog, name="catalog"),
    path("<int:resource_pk>/", views.detail, name="detail"),
    path("<int:resource_pk>/file/", views.file, name="file"),
    path("<int:resource_pk>/download/", views.download, name="download"),
    # Authors: upload, their resources, edits and resubmission.
    path("upload/", views.upload, name="upload"),
    path("mine/", views.mine, name="mine"),
    path("<int:resource_pk>/edit/", views.edit, name="edit"),
    path("<int:resource_pk>/resubmit/", views.resubmit, name="resubmit"),
    # Reviewers: school check, county review (三审), withdrawal (下架).
    path("review/school/", views.queue_school, name="queue_school"),
    path("review/county/", views.queue_county, name="queue_county"),
    path("<int:resource_pk>/review/school/", views.review_school, name="review_school"),
    path("<int:resource_pk>/review/county/", views.review_county, name="review_county"),
    path("<int:resource_pk>/withdraw/", views.withdraw, name="withdraw"),
]
