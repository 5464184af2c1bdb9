"""Reads of the aggregation module, scoped to the user (the one scoping primitive)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from eduplus.aggregation.models import FeedToken, HarvestRun, HarvestSource, Origin


def sources_for(user: Any) -> QuerySet[HarvestSource]:
    return (
        HarvestSource.objects.visible_to(user).select_related("region", "school").order_by("name")
    )


def runs_for(user: Any) -> QuerySet[HarvestRun]:
    return (
        HarvestRun.objects.visible_to(user).select_related("source", "started_by").order_by("-id")
    )


def tokens_for(user: Any) -> QuerySet[FeedToken]:
    return FeedToken.objects.visible_to(user).select_related("region", "created_by").order_by("-id")


def origins_for(user: Any, source: HarvestSource) -> QuerySet[Origin]:
    return (
        Origin.objects.visible_to(user)
        .filter(source=source)
        .select_related("resource")
        .order_by("-last_seen_at", "-id")
    )
