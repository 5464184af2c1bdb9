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
    # Engagement: ratings, reviewed comments, complaints (RESOURCE_RATE) and their
    # moderation (RESOURCE_MODERATE), usage statistics, the ranking.
    path("<int:resource_pk>/rate/", views.rate, name="rate"),
    path("<int:resource_pk>/comment/", views.comment, name="comment"),
    path("<int:resource_pk>/complain/", views.complain, name="complain"),
    path("moderation/", views.moderation, name="moderation"),
    path("comments/<int:comment_pk>/moderate/", views.comment_moderate, name="comment_moderate"),
    path("complaints/<int:complaint_pk>/handle/", views.complaint_handle, name="complaint_handle"),
    path("stats/", views.stats, name="stats"),
    path("stats/export.csv", views.stats_csv, name="stats_csv"),
    path("ranking/", views.ranking, name="ranking"),
]
