"""Server-side pagination shared by every list page.

Lists of people and audit entries can hold millions of rows in a province; an exact
COUNT(*) over them costs seconds. Those lists count at most ``count_cap`` rows (a
LIMITed subquery) and say "more than N" beyond that.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PEOPLE_COUNT_CAP = 100_000


class CappedPaginator(Paginator):
    def __init__(self, *args: Any, count_cap: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count_cap = count_cap

    @cached_property
    def count(self) -> int:
        if self.count_cap is None or not isinstance(self.object_list, QuerySet):
            return int(super().count)
        return int(self.object_list.order_by()[: self.count_cap + 1].count())

    @property
    def capped(self) -> bool:
        return self.count_cap is not None and self.count > self.count_cap


def paginate(
    request: HttpRequest,
    queryset: QuerySet[Any],
    per_page: int | None = None,
    *,
    count_cap: int | None = None,
) -> Page:
    paginator = CappedPaginator(queryset, per_page or settings.PAGE_SIZE, count_cap=count_cap)
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
