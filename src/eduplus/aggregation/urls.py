from django.urls import path

from eduplus.aggregation import views

app_name = "aggregation"
urlpatterns = [
    # Province officers (resource.harvest): sources, runs, subscriber tokens, the docs.
    path("", views.home, name="home"),
    path("sources/new/", views.source_new, name="source_new"),
    path("sources/<int:source_pk>/", views.source_detail, name="source"),
    path("sources/<int:source_pk>/edit/", views.source_edit, name="source_edit"),
    path("sources/<int:source_pk>/harvest/", views.source_harvest, name="source_harvest"),
    path("sources/<int:source_pk>/reset/", views.source_reset, name="source_reset"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:run_pk>/", views.run_detail, name="run"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("feed/", views.feed_docs, name="feed_docs"),
    # The published feed: subscribers' bearer tokens (docs/feed.md).
    path("feed/v1/resources", views.feed_resources, name="feed_resources"),
    path("feed/v1/files/<int:entry_pk>", views.feed_file, name="feed_file"),
]
