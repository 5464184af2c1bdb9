"""Harvesting with a fake transport: every bad input, duplicates, loops, withdrawals,
resuming after a failure, idempotent reruns."""

from __future__ import annotations

import json

import pytest

from eduplus.aggregation.models import HarvestSource, Origin, OriginKind, RunState
from eduplus.aggregation.services import instance_id
from eduplus.aggregation.tests import factories as af
from eduplus.resources.models import Resource, ResourceEvent, ResourceStatus
from eduplus.resources.selectors import SearchFilters, search_resources
from eduplus.resources.tests.factories import pdf_upload, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def src() -> HarvestSource:
    return af.source(trusted=True)


def test_harvest_creates_published_searchable_resources_linked_to_origin(src, world):
    feed = af.FakeFeed()
    for i in range(3):
        feed.add(af.entry(str(i + 1), minute=i))
    run = af.run(src, feed)
    assert run.state == RunState.SUCCEEDED, run.error or run.failures
    assert (run.created, run.failed, run.pages) == (3, 0, 2)
    origin = Origin.objects.select_related("resource").get(origin_instance=af.OTHER, origin_id="1")
    resource = origin.resource
    assert origin.kind == OriginKind.HARVESTED
    assert origin.source == src
    assert origin.origin_school == "开封市第一中学"
    assert resource.status == ResourceStatus.PUBLISHED
    assert resource.school == src.school and resource.region_id == src.region_id
    assert resource.author is None and resource.author_name == "李老师"
    assert resource.node is not None and resource.node.path == "junior/math/renjiao/8/down/c2/s1"
    assert resource.licence == "cc-by-4.0"
    assert resource.file.read() == af.pdf("file 1")
    page = search_resources(world.a.users["teacher"], SearchFilters(q="勾股"))
    assert resource.pk in {r.pk for r in page.items}
    src.refresh_from_db()
    assert src.cursor == "c-0002-3" and src.last_state == RunState.SUCCEEDED


def test_untrusted_source_sends_resources_to_county_review(world):
    src = af.source(trusted=False)
    feed = af.FakeFeed()
    feed.add(af.entry("1"))
    run = af.run(src, feed)
    assert run.created == 1
    resource = Origin.objects.get(origin_id="1").resource
    assert resource.status == ResourceStatus.SCHOOL_APPROVED
    assert resource.search_key is None
    # The county officer of the source's region finds it in the county queue.
    from eduplus.resources.selectors import county_queue

    assert resource in county_queue(world.a.users["county_officer"])
    assert ResourceEvent.objects.filter(resource=resource, kind="submitted").exists()


def test_rerun_is_idempotent(src):
    feed = af.FakeFeed()
    feed.add(af.entry("1"))
    feed.add(af.entry("2", minute=1))
    af.run(src, feed)
    second = af.run(src, feed)
    assert (second.created, second.updated, second.failed) == (0, 0, 0)
    # From the beginning again: everything recognised by its origin, nothing new.
    HarvestSource.objects.filter(pk=src.pk).update(cursor="")
    src.refresh_from_db()
    third = af.run(src, feed)
    assert third.state == RunState.SUCCEEDED
    assert (third.created, third.unchanged) == (0, 2)
    assert Resource.objects.count() == 2


def test_wrong_token_is_a_failed_run_and_keeps_the_cursor(src):
    feed = af.FakeFeed(token="epf_other")
    feed.add(af.entry("1"))
    HarvestSource.objects.filter(pk=src.pk).update(cursor="c-start")
    src.refresh_from_db()
    run = af.run(src, feed)
    assert run.state == RunState.FAILED
    assert "401" in run.error
    src.refresh_from_db()
    assert src.cursor == "c-start" and src.last_state == RunState.FAILED


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"<html>not json</html>", 200, "JSON"),
        (json.dumps({"items": []}).encode(), 200, "entries"),
        (None, 500, "HTTP 500"),
    ],
)
def test_bad_pages_fail_the_run(src, raw, status, message):
    feed = af.FakeFeed(raw_page=raw, status=status)
    run = af.run(src, feed)
    assert run.state == RunState.FAILED
    assert message in run.error
    assert Resource.objects.count() == 0


def test_network_error_on_the_page_fails_the_run(src):
    class Down:
        def get(self, url, **kwargs):
            from eduplus.aggregation.harvest import TransportError

            raise TransportError("网络错误：connection refused")

    run = af.run(src, Down())
    assert run.state == RunState.FAILED and "connection refused" in run.error


def test_entries_with_missing_fields_are_recorded_and_passed_over(src):
    feed = af.FakeFeed(limit=10)
    bad = af.entry("1")
    del bad["sha256"]
    del bad["title"]
    feed.add(bad)
    no_origin = af.entry("2", minute=1)
    no_origin["origin"] = "nowhere"
    feed.add(no_origin)
    feed.add(af.entry("3", minute=2, type="hologram"))
    feed.add(af.entry("4", minute=3, licence="all-rights-taken"))
    feed.add(af.entry("5", minute=4))
    run = af.run(src, feed)
    assert run.state == RunState.PARTIAL
    assert (run.created, run.failed) == (1, 4)
    reasons = [x["reason"] for x in run.failures]
    assert "sha256" in reasons[0] and "title" in reasons[0]
    assert "origin" in reasons[1]
    assert "hologram" in reasons[2]
    assert "all-rights-taken" in reasons[3]
    assert not any(x["retry"] for x in run.failures)
    # Permanent failures do not hold the cursor back.
    src.refresh_from_db()
    assert src.cursor == "c-0004-5"


def test_wrong_sha256_is_refused_and_retried(src):
    feed = af.FakeFeed()
    data = af.entry("1", sha256="0" * 64)
    feed.add(data)
    run = af.run(src, feed)
    assert run.failed == 1 and run.created == 0
    assert "指纹" in run.failures[0]["reason"] and run.failures[0]["retry"]
    assert Resource.objects.count() == 0
    src.refresh_from_db()
    assert src.cursor == ""


def test_wrong_type_content_and_oversize_are_refused(src, settings):
    feed = af.FakeFeed(limit=10)
    png_named_pdf = b"\x89PNG\r\n\x1a\n" + b"0" * 40
    feed.add(af.entry("1", png_named_pdf), png_named_pdf)
    feed.add(af.entry("2", minute=1, format="exe"))
    big = af.entry("3", minute=2, size=10**10)
    feed.add(big)
    # A file larger than its entry says: the download stops.
    feed.add(af.entry("4", minute=3, size=10), af.pdf("a longer file than ten bytes"))
    run = af.run(src, feed)
    assert run.created == 0 and run.failed == 4
    reasons = [x["reason"] for x in run.failures]
    assert "不符" in reasons[0]
    assert "exe" in reasons[1]
    assert "过大" in reasons[2]
    assert "大小" in reasons[3]
    assert Resource.objects.count() == 0


def test_duplicate_by_content_hash_is_linked_not_copied(src, world):
    mine = published(world.a, "本地已有的课件", upload=pdf_upload(text="shared bytes"))
    feed = af.FakeFeed()
    feed.add(af.entry("1", af.pdf("shared bytes")), af.pdf("shared bytes"))
    run = af.run(src, feed)
    assert (run.created, run.skipped_duplicate) == (0, 1)
    assert Resource.objects.count() == 1
    origin = Origin.objects.get(origin_id="1")
    assert origin.resource == mine and origin.kind == OriginKind.MATCHED
    # Our own resource keeps its metadata; an upstream change never overwrites it.
    feed.entries[0].update(title="改过的标题", updated_at="2027-01-01T00:00:00+00:00")
    HarvestSource.objects.filter(pk=src.pk).update(cursor="")
    src.refresh_from_db()
    again = af.run(src, feed)
    assert again.skipped_duplicate == 1
    mine.refresh_from_db()
    assert mine.title == "本地已有的课件"


def test_duplicate_by_origin_from_a_second_source(src, world):
    """The same origin reached through two sources (A directly, and via B) is one
    resource; only the source that brought it keeps it up to date."""
    feed = af.FakeFeed()
    feed.add(af.entry("1"))
    af.run(src, feed)
    second = af.source(name="经由另一平台", school=src.school)
    via = af.FakeFeed(instance="eduplus-b")
    via.add(af.entry("1", title="经由B的标题"))
    run = af.run(second, via)
    assert (run.created, run.skipped_duplicate) == (0, 1)
    assert Resource.objects.count() == 1
    assert Resource.objects.get().title.startswith("勾股定理")


def test_own_entries_never_come_back(src, world):
    ours = instance_id()
    feed = af.FakeFeed()
    feed.add(af.entry("7", instance=ours))
    run = af.run(src, feed)
    assert (run.created, run.skipped_own) == (0, 1)
    assert Resource.objects.count() == 0


def test_a_feed_of_ourselves_stops_the_run(src):
    feed = af.FakeFeed(instance=instance_id())
    feed.add(af.entry("1"))
    run = af.run(src, feed)
    assert run.state == RunState.FAILED and "本平台自身" in run.error


def test_withdrawal_propagates_and_republication_restores(src, world):
    feed = af.FakeFeed()
    data = feed.add(af.entry("1"))
    af.run(src, feed)
    resource = Origin.objects.get(origin_id="1").resource
    assert resource.search_key is not None
    data.update(
        withdrawn=True,
        withdrawn_reason="内容过时",
        file_url="",
        cursor="c-0100-1",
        updated_at="2026-12-01T00:00:00+00:00",
    )
    run = af.run(src, feed)
    assert run.withdrawn == 1
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.WITHDRAWN
    assert "内容过时" in resource.status_reason
    assert resource.search_key is None
    page = search_resources(world.a.users["teacher"], SearchFilters(q="勾股"))
    assert resource.pk not in {r.pk for r in page.items}
    data.update(
        withdrawn=False,
        withdrawn_reason="",
        file_url=f"{af.FILES}1",
        cursor="c-0200-1",
        updated_at="2026-12-02T00:00:00+00:00",
    )
    run = af.run(src, feed)
    assert run.updated == 1
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.PUBLISHED and resource.search_key is not None


def test_withdrawn_entry_never_seen_is_not_imported(src):
    feed = af.FakeFeed()
    feed.add(af.entry("1", withdrawn=True))
    run = af.run(src, feed)
    assert run.created == 0 and run.unchanged == 1
    assert Resource.objects.count() == 0


def test_metadata_update_reindexes(src, world):
    feed = af.FakeFeed()
    data = feed.add(af.entry("1"))
    af.run(src, feed)
    data.update(
        title="圆的面积 新题",
        cursor="c-0100-1",
        updated_at="2026-12-01T00:00:00+00:00",
    )
    run = af.run(src, feed)
    assert run.updated == 1
    teacher = world.a.users["teacher"]
    assert search_resources(teacher, SearchFilters(q="圆的面积")).items
    assert not search_resources(teacher, SearchFilters(q="汇聚")).items


def test_resume_after_a_failure_mid_page(src):
    feed = af.FakeFeed(limit=3)
    for i in range(3):
        feed.add(af.entry(str(i + 1), minute=i))
    feed.add(af.entry("4", minute=3))
    feed.fail_files = {f"{af.FILES}2"}
    first = af.run(src, feed)
    assert first.state == RunState.PARTIAL
    assert (first.created, first.failed, first.pages) == (2, 1, 1)
    assert first.failures[0]["retry"] is True
    src.refresh_from_db()
    assert src.cursor == "c-0000-1"  # held before the failed entry
    feed.fail_files = set()
    second = af.run(src, feed)
    assert second.state == RunState.SUCCEEDED
    assert (second.created, second.unchanged, second.failed) == (2, 1, 0)
    assert Resource.objects.count() == 4
    third = af.run(src, feed)
    assert (third.created, third.updated, third.unchanged) == (0, 0, 0)


def test_file_on_another_host_is_not_fetched(src):
    feed = af.FakeFeed()
    feed.add(af.entry("1", file_url="https://evil.example.com/f"))
    run = af.run(src, feed)
    assert run.failed == 1 and "站点" in run.failures[0]["reason"]
    assert not any("evil" in u for u in feed.requests)


def test_one_run_at_a_time(src):
    from django.core.exceptions import ValidationError

    from eduplus.aggregation.services import harvest_start

    harvest_start(actor=None, source=src)
    with pytest.raises(ValidationError):
        harvest_start(actor=None, source=src)


def test_unknown_catalog_path_keeps_entry_facets(src):
    feed = af.FakeFeed()
    feed.add(af.entry("1", catalog={"path": "junior/math/unknown-edition/9"}))
    run = af.run(src, feed)
    assert run.created == 1
    resource = Resource.objects.get()
    assert resource.node is None
    assert (resource.stage, resource.subject, resource.grade) == ("junior", "math", 8)


def test_cli_harvests_enabled_sources(src, monkeypatch):
    from django.core.management import call_command

    from eduplus.aggregation import harvest

    feed = af.FakeFeed()
    feed.add(af.entry("1"))
    monkeypatch.setattr(harvest, "UrllibTransport", lambda: feed)
    call_command("harvest", "--source", src.name)
    assert Resource.objects.count() == 1
