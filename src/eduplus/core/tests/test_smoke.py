import pytest


@pytest.mark.django_db
def test_world_builds_and_county_officer_sees_own_school(world, login):
    client = login(world.a.users["county_officer"])
    page = client.get("/schools/").content.decode()
    assert "甲哨兵实验小学" in page
    assert "乙哨兵实验小学" not in page


@pytest.mark.django_db
def test_people_lists_stop_counting_at_the_cap(world, login, monkeypatch):
    from eduplus.core import pagination
    from eduplus.people import views
    from eduplus.testing import factories as f

    monkeypatch.setattr(views, "PEOPLE_COUNT_CAP", 3)
    for _ in range(4):
        f.StudentFactory(klass=world.a.klass)
    client = login(world.a.users["county_officer"])
    page = client.get("/people/students/").content.decode()
    assert "超过 3 条" in page
    assert pagination.CappedPaginator(list(range(2)), 1, count_cap=3).count == 2
