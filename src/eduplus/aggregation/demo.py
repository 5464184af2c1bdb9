"""Demo rows of the aggregation module: one harvest source and one subscriber token, so
that the pages show what they are for. The demo cannot reach another server; the
source page says how to point it at a real one (another EduPlus's feed URL and token)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from eduplus.accounts.models import User
from eduplus.aggregation.models import FeedToken, HarvestSource
from eduplus.demo.anchors import demo_anchors
from eduplus.schools.models import School

DEMO_SOURCE = "示例：郑州市教育资源平台"
DEMO_SUBSCRIBER = "示例：开封市教育资源平台"


def seed_demo(*, province: str, seed: int, say: Callable[[str], None]) -> int:
    """Write this module's demo rows; return how many. Deterministic for a seed."""
    anchors = demo_anchors(province)
    officer = User.objects.filter(username="province", is_active=True).first()
    school = School.objects.filter(region__code__startswith=anchors.county).order_by("code").first()
    rows = 0
    if school is not None and not HarvestSource.objects.filter(name=DEMO_SOURCE).exists():
        HarvestSource.objects.create(
            name=DEMO_SOURCE,
            # Not reachable from the demo: replace with another EduPlus's feed address.
            base_url="https://resources.example.cn/aggregation/feed/v1/resources",
            token="epf_demo-token-replace-with-the-one-the-other-platform-issued",  # noqa: S106
            region_id=school.region_id,
            school=school,
            trusted=False,
            enabled=False,
        )
        rows += 1
    if not FeedToken.objects.filter(subscriber=DEMO_SUBSCRIBER).exists():
        # A record only: the raw token of the demo is not known to anyone.
        digest = hashlib.sha256(f"eduplus-demo-feed-token-{seed}".encode()).hexdigest()
        FeedToken.objects.create(
            subscriber=DEMO_SUBSCRIBER,
            note="演示数据：撤销后可为真实订阅方签发新令牌",
            region_id=anchors.province,
            prefix="epf_demo0000",
            token_sha256=digest,
            created_by=officer,
        )
        rows += 1
    say(f"aggregation: {rows} demo rows (a disabled harvest source, a subscriber token)")
    return rows


def reset_demo() -> None:
    """Called by ``eduplus seed --reset`` before the roster goes (sources point at schools)."""
    from eduplus.aggregation.models import HarvestRun, Origin

    Origin.objects.all().delete()
    HarvestRun.objects.all().delete()
    HarvestSource.objects.all().delete()
    FeedToken.objects.all().delete()
