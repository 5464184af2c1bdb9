"""Template filters that mask personal data (个人信息脱敏)."""

from __future__ import annotations

import datetime as dt

from django import template

from eduplus.core.idnumber import mask, mask_phone

register = template.Library()


@register.filter
def masked_id(value: str | None) -> str:
    return mask(value) or "—"


@register.filter
def masked_phone(value: str | None) -> str:
    return mask_phone(value) or "—"


@register.filter
def birth_month(value: dt.date | None) -> str:
    """Minors' exact birth dates are personal data; lists show year and month."""
    return f"{value:%Y-%m}" if value else "—"
