import pytest


@pytest.mark.django_db
def test_world_builds_and_county_officer_sees_own_school(world, login):
    client = login(world.a.users["county_officer"])
    page = client.get("/schools/").content.decode()
    assert "甲哨兵实验小学" in page
    assert "乙哨兵实验小学" not in page
