"""The demo rows: a harvest source and a subscriber token, idempotent, removable."""

from __future__ import annotations

import pytest

from eduplus.aggregation import demo
from eduplus.aggregation.models import FeedToken, HarvestSource
from eduplus.demo.anchors import demo_anchors
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


def test_demo_seeds_once_and_resets(client, login):
    anchors = demo_anchors("41")
    f.SchoolFactory(name="演示承接学校", region=f.region(anchors.county))
    officer = f.user_with_role("province_officer", region="41", username="province")
    said: list[str] = []
    assert demo.seed_demo(province="41", seed=1, say=said.append) == 2
    assert demo.seed_demo(province="41", seed=1, say=said.append) == 0
    source = HarvestSource.objects.get()
    assert not source.enabled and source.school.name == "演示承接学校"
    login(officer)
    page = client.get(f"/aggregation/sources/{source.pk}/").content.decode()
    assert "该来源已停用" in page and "/aggregation/feed/v1/resources" in page
    assert demo.DEMO_SUBSCRIBER in client.get("/aggregation/tokens/").content.decode()
    demo.reset_demo()
    assert not HarvestSource.objects.exists() and not FeedToken.objects.exists()
