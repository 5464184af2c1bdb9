"""Server-side pagination shared by every list page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


def paginate(request: HttpRequest, queryset: QuerySet[Any], per_page: int | None = None) -> Page:
    paginator = Paginator(queryset, per_page or settings.PAGE_SIZE)
    raw = request.GET.get("page", "1")
    try:
        number = max(1, int(raw))
    except ValueError:
        number = 1
    number = min(number, max(1, paginator.num_pages))
    return paginator.page(number)


def querystring_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
