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


@pytest.mark.django_db
def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-CN"' in page
    assert "登录" in page


def test_chinese_statistics_group_thousands():
    from django.contrib.humanize.templatetags.humanize import intcomma
    from django.utils import translation

    with translation.override("zh-hans"):
        assert intcomma(10000541) == "10,000,541"
