import pytest


@pytest.mark.django_db
def test_chinese_is_the_default_and_english_is_switchable(world, login):
    client = login(world.a.users["county_officer"])
    page = client.get("/schools/").content.decode()
    assert 'lang="zh-CN"' in page
    assert "学校名录" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/schools/"})
    page = client.get("/schools/").content.decode()
    assert 'lang="en"' in page
    assert "School registry" in page
