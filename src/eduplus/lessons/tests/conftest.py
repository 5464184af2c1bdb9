from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from eduplus.lessons.tests import factories as lf
from eduplus.regions.models import Region
from eduplus.testing import factories as f


def teacher_at(school: Any, name: str, username: str) -> Any:
    person = f.PersonFactory(name=name)
    f.TeacherFactory(school=school, person=person)
    return f.user_with_role("teacher", school=school, person=person, username=username)


@dataclass
class Setup:
    world: Any
    officer: Any  # county A's officer: organises the county activity
    activity: Any  # county A's activity (open, deadline in a week)
    author: Any  # county A's sentinel teacher (甲哨兵实验小学)
    author2: Any  # a teacher of 中原区第二小学
    school2: Any
    experts: list[Any] = field(default_factory=list)  # five teachers of 中原区专家学校
    colleague: Any = None  # another teacher of the author's school


@pytest.fixture
def setup(world: Any) -> Setup:
    a = world.a
    school2 = f.SchoolFactory(region=f.region("410102"), name="中原区第二小学")
    school3 = f.SchoolFactory(region=f.region("410102"), name="中原区专家学校")
    officer = a.users["county_officer"]
    activity = lf.activity(officer, region=Region.objects.get(code="410102"))
    return Setup(
        world=world,
        officer=officer,
        activity=activity,
        author=a.users["teacher"],
        author2=teacher_at(school2, "第二小学教师", "t2"),
        school2=school2,
        experts=[teacher_at(school3, f"专家{i}", f"expert{i}") for i in range(5)],
        colleague=teacher_at(a.school, "同校教师", "colleague"),
    )


@pytest.fixture
def login(client: Any) -> Any:
    """Log a user in through the real login form, logging out whoever was logged in."""

    def _login(user: Any, password: str = f.DEMO_PASSWORD) -> Any:
        client.logout()
        response = client.post("/login/", {"username": user.username, "password": password})
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return _login
