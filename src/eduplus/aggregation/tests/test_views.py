"""The pages: sources, runs, tokens (shown once), the docs; who may open them."""

from __future__ import annotations

import pytest

from eduplus.aggregation.models import FeedToken, HarvestRun, HarvestSource, RunState
from eduplus.aggregation.tests import factories as af
from eduplus.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_pages_need_the_harvest_action(client, login, world):
    login(world.a.users["county_officer"])
    for url in (
        "/aggregation/",
        "/aggregation/tokens/",
        "/aggregation/feed/",
        "/aggregation/runs/",
    ):
        assert client.get(url).status_code == 403, url


def test_empty_pages_say_what_to_do(client, login, world):
    login(world.province_officer)
    home = client.get("/aggregation/").content.decode()
    assert "还没有汇聚来源" in home and "添加来源" in home
    assert "/aggregation/feed/v1/resources" in home
    tokens = client.get("/aggregation/tokens/").content.decode()
    assert "还没有签发令牌" in tokens
    docs = client.get("/aggregation/feed/").content.decode()
    assert "Authorization: Bearer" in docs and "has_more" in docs


def test_token_is_shown_once(client, login, world):
    login(world.province_officer)
    answer = client.post("/aggregation/tokens/", {"subscriber": "开封市平台", "note": ""})
    page = answer.content.decode()
    token = FeedToken.objects.get()
    assert "只显示这一次" in page
    raw = page.split('word-break:break-all">')[1].split("<")[0]
    assert raw.startswith("epf_") and raw[:12] == token.prefix
    again = client.get("/aggregation/tokens/").content.decode()
    assert raw not in again and token.prefix in again
    client.post(f"/aggregation/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="aggregation.token_revoke").exists()


def test_source_create_validates_and_hides_the_token(client, login, world):
    login(world.province_officer)
    bad = client.post(
        "/aggregation/sources/new/",
        {"name": "x", "base_url": "ftp://x", "token": "", "region_code": "42",
         "school_code": "nope"},
    )  # fmt: skip
    text = bad.content.decode()
    assert "http://" in text and "管辖范围" in text and "学校标识码" in text
    assert not HarvestSource.objects.exists()
    school = world.a.school
    answer = client.post(
        "/aggregation/sources/new/",
        {"name": "开封市平台", "base_url": af.FEED, "token": "epf_secret_value",
         "region_code": "410102", "school_code": school.code, "enabled": "on"},
    )  # fmt: skip
    source = HarvestSource.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/aggregation/sources/{source.pk}/"
    assert source.token == "epf_secret_value" and not source.trusted
    detail = client.get(answer["Location"]).content.decode()
    assert "epf_secret_value" not in detail and "尚未汇聚" in detail
    edit = client.get(f"/aggregation/sources/{source.pk}/edit/").content.decode()
    assert "epf_secret_value" not in edit
    # Editing without a token keeps the stored one.
    client.post(
        f"/aggregation/sources/{source.pk}/edit/",
        {"name": "开封市平台", "base_url": af.FEED, "token": "", "region_code": "410102",
         "school_code": school.code, "trusted": "on", "enabled": "on"},
    )  # fmt: skip
    source.refresh_from_db()
    assert source.trusted and source.token == "epf_secret_value"


def test_untrusted_source_needs_a_reviewing_region(client, login, world):
    login(world.province_officer)
    page = client.post(
        "/aggregation/sources/new/",
        {"name": "全省", "base_url": af.FEED, "token": "t", "region_code": "41",
         "school_code": world.a.school.code, "enabled": "on"},
    ).content.decode()  # fmt: skip
    assert "县级审核" in page and not HarvestSource.objects.exists()


def test_harvest_button_runs_a_background_job(
    client, login, world, django_capture_on_commit_callbacks, monkeypatch
):
    from eduplus.aggregation import harvest

    source = af.source(school=world.a.school)
    feed = af.FakeFeed()
    feed.add(af.entry("1"))
    monkeypatch.setattr(harvest, "UrllibTransport", lambda: feed)
    login(world.province_officer)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/aggregation/sources/{source.pk}/harvest/")
    run = HarvestRun.objects.get()
    assert answer["Location"] == f"/aggregation/runs/{run.pk}/"
    assert run.state == RunState.SUCCEEDED and run.created == 1 and run.task_id
    page = client.get(answer["Location"]).content.decode()
    assert "成功" in page and "没有失败的条目" in page
    detail = client.get(f"/aggregation/sources/{source.pk}/").content.decode()
    assert "勾股定理 汇聚 1" in detail


def test_failed_run_page_shows_reasons(client, login, world):
    source = af.source(school=world.a.school)
    feed = af.FakeFeed()
    bad = af.entry("1")
    del bad["sha256"]
    feed.add(bad)
    af.run(source, feed)
    login(world.province_officer)
    run = HarvestRun.objects.get()
    page = client.get(f"/aggregation/runs/{run.pk}/").content.decode()
    assert "部分失败" in page and "sha256" in page and "已跳过" in page


def test_other_province_sees_no_sources(client, login, world):
    source = af.source(school=world.a.school, name="河南走查来源")
    login(world.other_province_officer)
    assert client.get(f"/aggregation/sources/{source.pk}/").status_code == 404
    assert source.name not in client.get("/aggregation/").content.decode()


def test_list_pages_and_feed_queries_do_not_grow(
    client, login, world, django_assert_max_num_queries
):
    from eduplus.aggregation.services import feed_token_issue
    from eduplus.resources.tests.factories import published

    for i in range(3):
        src = af.source(school=world.a.school, name=f"来源{i}")
        feed = af.FakeFeed()
        feed.add(af.entry(f"{i}-1", minute=i))
        af.run(src, feed)
    for i in range(3):
        published(world.a, f"课件 {i}")
    _t, raw = feed_token_issue(actor=world.province_officer, subscriber="订阅方")
    login(world.province_officer)
    for url in ("/aggregation/", "/aggregation/runs/", "/aggregation/tokens/"):
        with django_assert_max_num_queries(20):
            assert client.get(url).status_code == 200
    with django_assert_max_num_queries(12):
        answer = client.get("/aggregation/feed/v1/resources", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert answer.json()["count"] == 6
