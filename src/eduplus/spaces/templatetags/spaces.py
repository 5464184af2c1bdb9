"""``{% is_favourite user resource as fav %}`` for the favourite button partial."""

from __future__ import annotations

from typing import Any

from django import template

from eduplus.spaces.selectors import is_favourite as _is_favourite

register = template.Library()


@register.simple_tag
def is_favourite(user: Any, resource: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or resource is None:
        return False
    return _is_favourite(user, resource)
