"""The seeded catalog (教材目录) and thematic collections (专题教育)."""

from __future__ import annotations

from collections import Counter

import pytest

from eduplus.resources.catalog import ensure_catalog
from eduplus.resources.catalog_data import CHAPTERS, catalog_nodes
from eduplus.resources.models import CatalogNode, Topic

pytestmark = pytest.mark.django_db


def test_the_tree_has_every_level_for_three_subjects_at_three_stages():
    kinds = Counter(CatalogNode.objects.values_list("kind", flat=True))
    assert kinds["stage"] == 3 and kinds["subject"] == 9
    assert kinds["volume"] > 100 and kinds["chapter"] > 100 and kinds["section"] > 300
    editions = set(CatalogNode.objects.filter(kind="edition").values_list("name", flat=True))
    assert {"统编版", "人教版", "北师大版", "外研版", "人教A版", "人教版（PEP）"} <= editions


def test_a_lesson_knows_its_stage_subject_edition_and_grade():
    lesson = CatalogNode.objects.get(path="junior/math/renjiao/8/down/c2/s1")
    assert lesson.name == "勾股定理" and lesson.parent.name == "第十七章 勾股定理"
    assert (lesson.stage, lesson.subject, lesson.edition, lesson.grade) == (
        "junior",
        "math",
        "renjiao",
        8,
    )
    tadpole = CatalogNode.objects.get(path="primary/chinese/tongbian/2/up/c1/s1")
    assert tadpole.name == "小蝌蚪找妈妈" and tadpole.grade == 2


def test_primary_english_starts_in_grade_three():
    grades = CatalogNode.objects.filter(kind="grade", path__startswith="primary/english/")
    assert min(grades.values_list("grade", flat=True)) == 3


def test_every_chapter_list_belongs_to_a_seeded_volume():
    volumes = {n.path for n in catalog_nodes() if n.kind == "volume"}
    assert set(CHAPTERS) <= volumes


def test_topics_and_loading_again_changes_nothing():
    assert {"德育", "安全教育", "心理健康"} <= set(Topic.objects.values_list("name", flat=True))
    assert ensure_catalog() == 0
