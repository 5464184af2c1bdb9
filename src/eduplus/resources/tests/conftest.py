"""Fixtures of the resources tests: the catalog (a transactional test elsewhere may have
flushed it), uploaded files in a temporary MEDIA_ROOT, no facet counts cached across
tests, and a client that logs in as another user."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _resources_env(request: Any, settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    if request.node.get_closest_marker("django_db") or "world" in request.fixturenames:
        from eduplus.resources.catalog import ensure_catalog

        request.getfixturevalue("db")
        ensure_catalog()
    yield
    cache.clear()


@pytest.fixture
def as_user(login: Any, client: Any) -> Any:
    def _as(user: Any) -> Any:
        client.logout()
        return login(user)

    return _as
