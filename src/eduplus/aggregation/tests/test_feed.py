"""The published feed: authentication, cursors, entries, withdrawals, files, audit."""

from __future__ import annotations

import hashlib

import pytest

from eduplus.aggregation.feed import decode_cursor, encode_cursor
from eduplus.aggregation.models import Origin, OriginKind
from eduplus.aggregation.services import feed_token_issue, feed_token_revoke, instance_id
from eduplus.aggregation.tests import factories as af
from eduplus.core.models import AuditEntry
from eduplus.resources import services as rs
from eduplus.resources.tests.factories import published, uploaded

pytestmark = pytest.mark.django_db
URL = "/aggregation/feed/v1/resources"


@pytest.fixture
def token(world) -> str:
    _t, raw = feed_token_issue(actor=world.province_officer, subscriber="开封市平台")
    return raw


def get(client, token, **params):
    return client.get(URL, params, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_anonymous_and_bad_tokens_get_401(client, world, token):
    assert client.get(URL).status_code == 401
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer epf_nope").status_code == 401
    assert client.get(URL, HTTP_AUTHORIZATION=f"Basic {token}").status_code == 401
    answer = client.get(URL)
    assert answer["WWW-Authenticate"].startswith("Bearer")
    assert "令牌" in answer.json()["error"]


def test_revoked_token_gets_401(client, world, token):
    from eduplus.aggregation.models import FeedToken

    feed_token_revoke(actor=world.province_officer, token=FeedToken.objects.get())
    assert get(client, token).status_code == 401


def test_token_is_stored_hashed(world, token):
    from eduplus.aggregation.models import FeedToken

    row = FeedToken.objects.get()
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(FeedToken.objects.values()))


def test_published_resources_only_with_all_fields(client, world, token):
    pub = published(world.a, "勾股定理 第一课时")
    uploaded(world.a.users["teacher"], "尚在审核的课件")
    body = get(client, token).json()
    assert body["instance"] == instance_id()
    assert [e["title"] for e in body["entries"]] == ["勾股定理 第一课时"]
    e = body["entries"][0]
    assert e["origin"] == {
        "instance": instance_id(),
        "id": str(pub.pk),
        "url": f"http://testserver/resources/{pub.pk}/",
    }
    assert e["sha256"] == pub.sha256 and e["size"] == pub.size
    assert (e["type"], e["format"], e["mime"]) == ("courseware", "pdf", "application/pdf")
    assert e["catalog"]["path"] == "junior/math/renjiao/8/down/c2/s1"
    assert [n["code"] for n in e["catalog"]["nodes"]] == [
        "junior", "math", "renjiao", "8", "down", "c2", "s1",
    ]  # fmt: skip
    assert e["school_name"] == "甲哨兵实验小学"
    assert e["withdrawn"] is False
    assert e["file_url"] == f"http://testserver/aggregation/feed/v1/files/{pub.pk}"
    assert e["published_at"] and e["updated_at"]
    for key in ("stage", "subject", "edition", "grade", "topics", "author_name", "licence"):
        assert key in e


def test_cursor_paging_is_incremental_and_complete(client, world, token):
    made = [published(world.a, f"课件 {i}") for i in range(5)]
    seen, since, pages = [], "", 0
    while True:
        body = get(client, token, since=since, limit=2).json()
        pages += 1
        seen += [e["origin"]["id"] for e in body["entries"]]
        since = body["next"]
        if not body["has_more"]:
            break
    assert seen == [str(r.pk) for r in made] and pages == 3
    # Nothing changed: the last cursor answers an empty page with the same cursor.
    body = get(client, token, since=since).json()
    assert body["entries"] == [] and body["next"] == since and not body["has_more"]
    # A change moves the resource to the end of the feed.
    rs.resource_withdraw(actor=world.a.users["county_officer"], resource=made[1], reason="内容有误")
    body = get(client, token, since=since).json()
    assert [e["origin"]["id"] for e in body["entries"]] == [str(made[1].pk)]
    entry = body["entries"][0]
    assert entry["withdrawn"] is True and entry["withdrawn_reason"] == "内容有误"
    assert entry["file_url"] == ""


def test_bad_parameters_answer_400(client, world, token):
    assert get(client, token, limit=0).status_code == 400
    assert get(client, token, limit=501).status_code == 400
    assert get(client, token, limit="many").status_code == 400
    assert get(client, token, since="not-a-cursor").status_code == 400
    assert get(client, token, limit=500).status_code == 200


def test_cursor_round_trip():
    import datetime as dt

    when = dt.datetime(2026, 11, 23, 8, 0, 0, 123456, tzinfo=dt.UTC)
    assert decode_cursor(encode_cursor(when, 42)) == (when, 42)


def test_harvested_resources_carry_their_original_origin(client, world, token):
    src = af.source()
    feed = af.FakeFeed()
    feed.add(af.entry("77"))
    af.run(src, feed)
    origin = Origin.objects.get()
    assert origin.kind == OriginKind.HARVESTED
    entry = get(client, token).json()["entries"][0]
    assert entry["origin"]["instance"] == af.OTHER and entry["origin"]["id"] == "77"
    assert entry["school_name"] == "开封市第一中学"


def test_every_page_read_is_audited_once(client, world, token):
    published(world.a)
    before = AuditEntry.objects.filter(action="aggregation.feed_read").count()
    get(client, token)
    get(client, token, limit=1)
    entries = AuditEntry.objects.filter(action="aggregation.feed_read").order_by("id")
    assert entries.count() == before + 2
    assert entries.last().actor_username.startswith("token:epf_")
    client.get(URL)  # anonymous: no token, 401, not a read


def test_file_endpoint_uses_the_same_token(client, world, token):
    pub = published(world.a)
    url = f"/aggregation/feed/v1/files/{pub.pk}"
    assert client.get(url).status_code == 401
    answer = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200
    content = b"".join(answer.streaming_content)
    assert hashlib.sha256(content).hexdigest() == pub.sha256 == answer["X-Content-SHA256"]
    draft = uploaded(world.a.users["teacher"], "草稿")
    assert (
        client.get(
            f"/aggregation/feed/v1/files/{draft.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
        ).status_code
        == 404
    )


def test_logged_in_officer_may_preview_others_get_403(client, login, world):
    published(world.a)
    login(world.province_officer)
    assert client.get(URL).status_code == 200
    client.logout()
    login(world.a.users["teacher"])
    assert client.get(URL).status_code == 403
