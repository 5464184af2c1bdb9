"""Settings of the engagement part of the resources module.

Each value is read from Django settings when a deployment sets it there, else from an
environment variable, else a safe default. ``settings.py`` belongs to the project; the
resources module reads its own knobs here so that tests can override them with
pytest-django's ``settings`` fixture.

- ``RESOURCES_AUTO_WITHDRAW_COMPLAINTS`` (env ``EDUPLUS_RESOURCES_AUTO_WITHDRAW_COMPLAINTS``,
  default 5): open or upheld complaints (举报) from this many distinct users withdraw a
  published resource automatically (自动下架); 0 turns it off.
- ``RESOURCES_AUTO_WITHDRAW_RATING`` (env ``EDUPLUS_RESOURCES_AUTO_WITHDRAW_RATING``,
  default 2.0): an average rating (评分) below this ...
- ``RESOURCES_AUTO_WITHDRAW_MIN_RATINGS`` (env ``EDUPLUS_RESOURCES_AUTO_WITHDRAW_MIN_RATINGS``,
  default 10): ... with at least this many ratings withdraws it too; 0 turns it off.
"""

from __future__ import annotations

import os

from django.conf import settings


def _value(name: str, default: float) -> float:
    if hasattr(settings, name):
        return float(getattr(settings, name))
    raw = os.environ.get(f"EDUPLUS_{name}", "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


def auto_withdraw_complaints() -> int:
    return int(_value("RESOURCES_AUTO_WITHDRAW_COMPLAINTS", 5))


def auto_withdraw_rating() -> float:
    return _value("RESOURCES_AUTO_WITHDRAW_RATING", 2.0)


def auto_withdraw_min_ratings() -> int:
    return int(_value("RESOURCES_AUTO_WITHDRAW_MIN_RATINGS", 10))
