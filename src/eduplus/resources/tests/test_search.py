"""Chinese full-text search: two characters suffice, facets count right, the index
follows publication, edits, withdrawals and downloads. Runs on SQLite (FTS5) and on
PostgreSQL (tsvector) alike."""

from __future__ import annotations

import pytest

from eduplus.resources import search, selectors, services
from eduplus.resources.models import Resource
from eduplus.resources.tests import factories as rf

pytestmark = pytest.mark.django_db


def titles(user, **params) -> list[str]:  # type: ignore[no-untyped-def]
    filters = selectors.SearchFilters.from_params(params)
    return [r.title for r in selectors.search_resources(user, filters, size=100).items]


def counts(user, **params) -> dict[str, dict[str, int]]:  # type: ignore[no-untyped-def]
    facets = selectors.search_facets(user, selectors.SearchFilters.from_params(params))
    return {name: {v.value: v.count for v in values} for name, values in facets.groups.items()}


@pytest.fixture
def library(world):  # type: ignore[no-untyped-def]
    """Five published resources across stages, subjects, editions, types; one draft."""
    a = world.a
    rf.published(a, "勾股定理 第一课时", description="从赵爽弦图引入直角三角形三边关系")
    rf.published(
        a,
        "勾股定理的逆定理 教学设计",
        resource_type="lesson_plan",
        path="junior/math/renjiao/8/down/c2/s2",
    )
    rf.published(
        a,
        "小蝌蚪找妈妈 课件",
        path="primary/chinese/tongbian/2/up/c1/s1",
        description="青蛙的生长过程：小蝌蚪变成青蛙",
    )
    rf.published(
        a, "一元一次方程 单元练习", resource_type="exercise", path="junior/math/beishida/7/up/c5"
    )
    rf.published(a, "防溺水安全教育主题班会", path=None, topics=("safety",))
    rf.uploaded(a.users["teacher"], "勾股定理 草稿（未审核）")
    return world


def test_a_two_character_query_finds_the_resource(library):
    student = library.b.users["student"]  # another county: published is for everyone
    assert sorted(titles(student, q="勾股")) == ["勾股定理 第一课时", "勾股定理的逆定理 教学设计"]
    assert titles(student, q="蝌蚪") == ["小蝌蚪找妈妈 课件"]
    assert titles(student, q="溺水") == ["防溺水安全教育主题班会"]
    assert titles(student, q="函数") == []


def test_descriptions_chapter_names_types_and_topics_are_searched(library):
    student = library.b.users["student"]
    assert titles(student, q="弦图") == ["勾股定理 第一课时"]  # description
    assert sorted(titles(student, q="第十七章")) == [
        "勾股定理 第一课时",
        "勾股定理的逆定理 教学设计",
    ]
    assert titles(student, q="统编版 二年级") == ["小蝌蚪找妈妈 课件"]  # catalog path
    assert titles(student, q="习题") == ["一元一次方程 单元练习"]  # the type
    assert titles(student, q="安全教育") == ["防溺水安全教育主题班会"]  # the topic


def test_one_character_and_latin_queries(library):
    student = library.b.users["student"]
    assert set(titles(student, q="蛙")) == {"小蝌蚪找妈妈 课件"}
    assert titles(student, q="逆") == ["勾股定理的逆定理 教学设计"]


def test_drafts_are_never_found(library):
    for user in (library.a.users["teacher"], library.a.users["county_officer"]):
        assert "勾股定理 草稿（未审核）" not in titles(user, q="勾股")
        assert "勾股定理 草稿（未审核）" not in titles(user)


def test_facets_count_the_matches(library):
    student = library.b.users["student"]
    assert counts(student, q="勾股") == {
        "stage": {"junior": 2},
        "subject": {"math": 2},
        "edition": {"renjiao": 2},
        "grade": {"8": 2},
        "type": {"courseware": 1, "lesson_plan": 1},
    }
    everything = counts(student)
    assert everything["stage"] == {"primary": 1, "junior": 3}
    assert everything["edition"] == {"tongbian": 1, "renjiao": 2, "beishida": 1}
    assert everything["type"] == {"courseware": 3, "lesson_plan": 1, "exercise": 1}
    assert sum(everything["type"].values()) == 5  # the draft is not counted


def test_facet_filters_narrow_both_results_and_counts(library):
    student = library.b.users["student"]
    assert titles(student, q="勾股", type="lesson_plan") == ["勾股定理的逆定理 教学设计"]
    assert counts(student, q="勾股", type="lesson_plan")["type"] == {"lesson_plan": 1}
    assert titles(student, subject="math", edition="beishida") == ["一元一次方程 单元练习"]
    assert titles(student, topic="safety") == ["防溺水安全教育主题班会"]
    # A catalog node selects its whole subtree, with and without a query.
    chapter = rf.node("junior/math/renjiao/8/down/c2")
    assert set(titles(student, node=str(chapter.pk))) == {
        "勾股定理 第一课时",
        "勾股定理的逆定理 教学设计",
    }
    assert titles(student, q="逆定理", node=str(chapter.pk)) == ["勾股定理的逆定理 教学设计"]
    # Junk filters are ignored, not trusted.
    assert len(titles(student, stage="'; DROP TABLE", grade="99", node="x")) == 5


def test_the_index_follows_edits_withdrawals_and_downloads(library):
    a, student = library.a, library.b.users["student"]
    resource = Resource.objects.get(title="小蝌蚪找妈妈 课件")
    services.resource_update(
        actor=a.users["county_officer"],
        resource=resource,
        meta=rf.meta("青蛙的一生 课件", path="primary/chinese/tongbian/2/up/c1/s1"),
    )
    assert titles(student, q="青蛙") == ["青蛙的一生 课件"]
    assert titles(student, q="一生") == ["青蛙的一生 课件"]
    assert titles(student, q="课件", subject="chinese") == ["青蛙的一生 课件"]
    assert counts(student, q="一生")["type"] == {"courseware": 1}

    services.resource_withdraw(
        actor=a.users["county_officer"], resource=resource, reason="下架测试"
    )
    assert titles(student, q="青蛙") == []
    assert counts(student, q="青蛙") == {name: {} for name in selectors.FACETS}
    assert "青蛙的一生 课件" not in titles(student)

    # Downloads move a resource up among equally relevant ones.
    _first, second = titles(student, q="勾股")
    target = Resource.objects.get(title=second)
    for _ in range(40):
        target = services.resource_download_record(actor=student, resource=target)
    assert titles(student, q="勾股")[0] == second
    assert len(search.backend().match_ids(selectors.SearchFilters(q="勾股").match())) == 2


def test_a_title_match_ranks_above_a_description_match(world):
    a = world.a
    rf.published(a, "青蛙的生长 微课设计", resource_type="lesson_plan", quality=3)
    rf.published(
        a,
        "春天来了",
        description="观察青蛙和燕子",
        resource_type="lesson_plan",
        path="primary/chinese/tongbian/1/up/c4/s1",
        quality=3,
    )
    assert titles(world.b.users["student"], q="青蛙") == ["青蛙的生长 微课设计", "春天来了"]


def lessons(world, title: str, n: int) -> None:  # type: ignore[no-untyped-def]
    """``n`` published lessons 「title 第k课时」 of one chapter, of quality 1 to 5 in turn."""
    for i in range(n):
        rf.published(
            world.a,
            f"{title} 第{i + 1}课时",
            path="junior/math/renjiao/9/up/c2/s1",
            quality=1 + i % 5,
        )


def test_results_beyond_the_ranking_window_follow_the_static_rank(world, monkeypatch):
    monkeypatch.setattr(search, "WINDOW", 3)
    lessons(world, "二次函数", 7)
    user = world.b.users["student"]
    filters = selectors.SearchFilters(q="函数")
    pages = [selectors.search_resources(user, filters, page=p, size=2) for p in (1, 2, 3, 4)]
    seen = [r.title for page in pages for r in page.items]
    assert len(seen) == 7 and len(set(seen)) == 7
    assert pages[0].total == 7 and pages[0].num_pages == 4
    ranks = [Resource.objects.get(title=t).rank for t in seen]
    assert ranks[3:] == sorted(ranks[3:], reverse=True)  # beyond the window: by rank
    assert min(ranks[:3]) >= max(ranks[3:])  # the window holds the best by rank


def test_a_capped_count_gives_the_same_window_as_a_full_one(world):
    # Under the cap the window comes from the counting pass; over it, from its own
    # descending pass: both must give the same best matches, and a stale document
    # (its resource withdrawn behind the index's back) in neither.
    lessons(world, "分数的意义", 6)
    stale = Resource.objects.get(title="分数的意义 第3课时")
    Resource.objects.filter(pk=stale.pk).update(status="withdrawn", status_reason="测试")
    backend = search.backend()
    match = selectors.SearchFilters(q="分数").match()
    uncapped, total = backend.window_and_count(match, 4, 100)
    capped, capped_total = backend.window_and_count(match, 4, 2)
    assert total >= 5 and capped_total == 3  # counted up to cap + 1
    assert [h.resource_id for h in uncapped] == [h.resource_id for h in capped]
    assert len(uncapped) == 4 and stale.pk not in {h.resource_id for h in uncapped}
    assert [h.relevance for h in uncapped] == [h.relevance for h in capped]
    Resource.objects.filter(pk=stale.pk).update(status="published", status_reason="")
    read_by_key, _n = backend.window_and_count(match, 4, 100)  # no stale document now
    by_pass, _n = backend.window_and_count(match, 4, 2)
    assert [(h.resource_id, h.relevance) for h in read_by_key] == [
        (h.resource_id, h.relevance) for h in by_pass
    ]
    Resource.objects.filter(pk=stale.pk).update(status="withdrawn", status_reason="测试")
    few, few_total = backend.window_and_count(match, 10, 100)
    assert few_total == 5 and len(few) == 5  # everything fits: the count is exact


def test_the_rebuilt_index_answers_the_same(library):
    student = library.b.users["student"]
    before = {q: titles(student, q=q) for q in ("勾股", "课件", "安全", "方程")}
    assert services.search_index_rebuild() == 5
    assert {q: titles(student, q=q) for q in before} == before


def test_a_deleted_resource_takes_its_document_along(library):
    student = library.b.users["student"]
    Resource.objects.filter(title="勾股定理 第一课时").delete()  # a school's removal, a flush
    assert titles(student, q="勾股") == ["勾股定理的逆定理 教学设计"]
    assert counts(student, q="勾股")["type"] == {"lesson_plan": 1}
    Resource.objects.all().delete()
    assert search.backend().match_ids(selectors.SearchFilters().match()) == []


def test_facet_codes_round_trip_and_fit_their_bits():
    code = search.facet_code("senior", "english", "waiyan", 12, "simulation")
    assert search.facet_values(code) == ("senior", "english", "waiyan", 12, "simulation")
    assert search.facet_values(search.facet_code("", "", "", None, "exercise")) == (
        None,
        None,
        None,
        None,
        "exercise",
    )
    for _name, choices, bits in search._FACET_FIELDS:
        assert len(choices.values) < 2**bits
    key = search.IndexKey(2**32 - 1, 2047, code)
    assert 0 < key.rowid < 2**63 and search.IndexKey.of_rowid(key.rowid) == key
