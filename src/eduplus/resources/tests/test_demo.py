"""The demo resources: real files, real review history, searchable, seeded again alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from eduplus.resources import selectors
from eduplus.resources.demo import SPECS, seed_demo
from eduplus.resources.models import Resource, ResourceStatus
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


def test_the_demo_goes_through_the_review_for_the_demo_accounts(world, settings):
    a = world.a
    teacher = f.user_with_role(
        "teacher", school=a.school, person=f.PersonFactory(name="演示教师"), username="teacher"
    )
    f.user_with_role("school_admin", school=a.school, username="school")
    f.user_with_role("county_officer", region="410102", username="county")
    said: list[str] = []
    rows = seed_demo(province="41", seed=7, say=said.append)
    assert rows > len(SPECS) and "resources:" in said[-1]
    assert Resource.objects.count() == len(SPECS)
    mine = Resource.objects.filter(author=teacher)
    assert mine.count() == 9
    assert sorted(
        mine.exclude(status=ResourceStatus.PUBLISHED).values_list("status", flat=True)
    ) == [
        "returned",
        "school_approved",
        "submitted",
    ]
    returned = mine.get(status=ResourceStatus.RETURNED)
    assert "规范性审查未通过" in returned.status_reason
    for resource in Resource.objects.all():
        content = (Path(settings.MEDIA_ROOT) / resource.file.name).read_bytes()
        assert len(content) == resource.size and content[:4] in (b"%PDF", b"\x89PNG", b"PK\x03\x04")
    found = selectors.search_resources(world.b.users["student"], selectors.SearchFilters(q="勾股"))
    assert {r.title for r in found.items} >= {"勾股定理 第一课时 课件", "勾股定理 单元测试卷"}

    # Seeding again replaces the demo resources instead of failing on their files.
    seed_demo(province="41", seed=7, say=said.append)
    assert Resource.objects.count() == len(SPECS)


def test_the_demo_copes_without_demo_accounts(world):
    seed_demo(province="41", seed=7, say=lambda _msg: None)
    assert Resource.objects.filter(status=ResourceStatus.PUBLISHED).count() == len(SPECS)


def test_the_demo_has_engagement_for_every_new_page(world):
    from eduplus.accounts.models import User
    from eduplus.resources.models import Comment, Complaint, Rating, ResourceUsage

    a = world.a
    person = f.PersonFactory(name="演示教师")
    f.user_with_role("teacher", school=a.school, person=person, username="teacher")
    f.user_with_role("school_admin", school=a.school, username="school")
    f.user_with_role("county_officer", region="410102", username="county")
    pupil = f.StudentFactory(klass=a.klass)
    f.user_with_role("student", school=a.school, person=pupil.person, username="student")
    seed_demo(province="41", seed=7, say=lambda _msg: None)
    assert Rating.objects.count() > 20
    assert Comment.objects.filter(status="pending").count() == 2
    assert Comment.objects.filter(status="approved").exists()
    assert Complaint.objects.filter(status="open").count() == 1
    assert ResourceUsage.objects.exists()
    rated = Resource.objects.filter(rating_count__gt=0)
    assert rated.exists()
    for resource in rated:
        assert resource.rating_count == Rating.objects.filter(resource=resource).count()
    school = User.objects.get(username="school")
    assert selectors.moderation_comments(school).count() == 2
    assert selectors.moderation_complaints(school).count() == 1
    # Ratings come from inactive synthetic accounts that cannot log in.
    assert not Rating.objects.filter(user__is_active=True).exists()
    assert selectors.recommended_for(User.objects.get(username="student"), 6)
