"""Demo learning-space data (called by ``eduplus seed``), deterministic for a seed.

* synthetic xAPI statements over the recent months for the teachers and the students of
  grade 3 and up of the two demo counties' schools, each school with its own activity
  level (the second county behind), so that usage rates (空间应用率) differ by school;
* the demo ``teacher`` and ``student`` accounts with recent activity and favourites;
* a teaching-research group (教研组) of the demo teacher with shared resources and posts;
* the counts of the last school year written as monitoring facts of the two counties
  (``services.usage_facts_write``), so the space indicators on the dashboards come from
  the learning-record store there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Callable

from django.utils import timezone

from eduplus.accounts.models import User
from eduplus.core.scoping import region_subtree_q
from eduplus.demo.anchors import demo_anchors
from eduplus.people.models import Student, StudentStatus, Teacher
from eduplus.resources.models import Resource, ResourceStatus
from eduplus.spaces import services, xapi
from eduplus.spaces.models import (
    Favourite,
    GroupMembership,
    GroupPost,
    GroupResource,
    LrsClient,
    MemberRole,
    Pseudonym,
    Statement,
    TeachingGroup,
)

GROUP_NAME = "三年级数学教研组"
VERBS = ["viewed", "viewed", "viewed", "downloaded", "experienced", "rated", "completed"]
POSTS = [
    ("李静", "《分数的简单计算》用分蛋糕情境导入，学生参与度很高，大家可以试试。"),
    ("王磊", "下周三第三节课我上公开课《认识图形》，欢迎来听课评课。"),
    ("张敏", "共享了一份分层练习，基础题和拓展题分开，适合差异化教学。"),
    ("刘洋", "请教：三年级学生理解“几分之一”时常混淆分子分母，有什么好办法？"),
    ("陈晓燕", "可以让学生动手折纸，先折再涂色，再写分数，效果不错。"),
]


def _unit(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def reset_demo() -> None:
    """Clear the module's rows (they point at people and accounts about to go)."""
    for model in (
        GroupPost, GroupResource, GroupMembership, TeachingGroup, Favourite, Statement,
        Pseudonym, LrsClient,
    ):  # fmt: skip
        model.objects.all().delete()


def _months(today: dt.date, first: dt.date) -> list[tuple[int, int]]:
    out = []
    y, m = first.year, first.month
    while (y, m) <= (today.year, today.month):
        out.append((y, m))
        y, m = (y, m + 1) if m < 12 else (y + 1, 1)
    return out


def seed_demo(*, province: str, seed: int, say: Callable[[str], None]) -> int:
    anchors = demo_anchors(province)
    counties = [anchors.county, anchors.county2]
    today = timezone.localdate()
    now = timezone.now()
    current = today.year if today.month >= 9 else today.year - 1
    facts_year = current - 1  # the last complete school year
    months = _months(today, dt.date(facts_year + 1, 3, 1))
    resources = list(
        Resource.objects.filter(status=ResourceStatus.PUBLISHED)
        .order_by("id")
        .values_list("id", "title")[:200]
    )
    site = xapi.site_url()
    accounts = dict(User.objects.filter(person__isnull=False).values_list("person_id", "id"))

    people: list[tuple[int, int, str, str, str]] = []  # person, school, region, role, county
    for county in counties:
        for person_id, school_id, region_id in Teacher.objects.filter(
            region_subtree_q("region_id", county), active=True
        ).values_list("person_id", "school_id", "region_id"):
            people.append((person_id, school_id, region_id, "teacher", county))
        for person_id, school_id, region_id in Student.objects.filter(
            region_subtree_q("region_id", county), status=StudentStatus.ENROLLED, grade__gte=3
        ).values_list("person_id", "school_id", "region_id"):
            people.append((person_id, school_id, region_id, "student", county))
    if not people:
        say("  spaces: no people in the demo counties, skipped")
        return 0

    person_ids = sorted({p[0] for p in people})
    known = set(
        Pseudonym.objects.filter(person_id__in=person_ids).values_list("person_id", flat=True)
    )
    Pseudonym.objects.bulk_create(
        [
            Pseudonym(
                person_id=p, key=uuid.UUID(int=random.Random(f"{seed}:p:{p}").getrandbits(128)).hex
            )
            for p in person_ids
            if p not in known
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    keys = dict(Pseudonym.objects.filter(person_id__in=person_ids).values_list("person_id", "key"))

    rows: list[Statement] = []
    authority = {"objectType": "Agent", "name": "EduPlus",
                 "account": {"homePage": site, "name": "eduplus"}}  # fmt: skip
    for person_id, school_id, region_id, role, county in people:
        behind = 0.18 if county == anchors.county2 else 0.0
        base = 0.62 if role == "teacher" else 0.45
        level = base + 0.35 * _unit(seed, "school", school_id, role) - behind
        rng = random.Random(f"{seed}:spaces:{person_id}")
        user_id = accounts.get(person_id)
        if user_id is None and rng.random() > level:
            continue  # not active at all
        agent = {"objectType": "Agent", "account": {"homePage": site, "name": keys[person_id]}}
        for y, m in months:
            if user_id is None and rng.random() > level:
                continue
            for _i in range(rng.randint(1, 4 if role == "teacher" else 3)):
                day = rng.randint(1, 28)
                moment = timezone.make_aware(
                    dt.datetime(y, m, day, rng.randint(8, 21), rng.randint(0, 59))
                )
                if moment > now:
                    continue
                verb = rng.choice(VERBS)
                verb_id = xapi.VERB_IDS[verb]
                if resources:
                    rid, title = rng.choice(resources)
                    object_id, name, resource_id = services.resource_iri(rid), title, rid
                else:
                    object_id, name, resource_id = xapi.activity_iri("courses/demo/"), "", None
                result = (
                    {"score": {"raw": rng.randint(3, 5), "min": 1, "max": 5}}
                    if verb == "rated"
                    else ({"completion": True} if verb == "completed" else None)
                )
                obj = {"objectType": "Activity", "id": object_id,
                       "definition": {"name": {"zh-CN": name}}}  # fmt: skip
                month, school_year = services.period_columns(moment)
                rows.append(
                    Statement(
                        id=uuid.UUID(int=rng.getrandbits(128)),
                        user_id=user_id,
                        person_id=person_id,
                        actor=agent,
                        actor_key=f"{site}|{keys[person_id]}",
                        verb_id=verb_id,
                        verb_display=xapi.verb_display(verb_id),
                        object_json=obj,
                        object_id=object_id,
                        object_name=name[:255],
                        resource_id=resource_id,
                        result=result,
                        context={"platform": "EduPlus"},
                        timestamp=moment,
                        authority=authority,
                        content_hash=hashlib.sha256(f"{person_id}:{moment}".encode()).hexdigest(),
                        school_id=school_id,
                        region_id=region_id,
                        role=role,
                        month=month,
                        school_year=school_year,
                    )
                )
    # Ids are drawn from the seed: seeding twice adds nothing twice.
    Statement.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    total = len(rows)

    teacher = User.objects.filter(username="teacher", is_active=True).first()
    student = User.objects.filter(username="student", is_active=True).first()
    published = list(Resource.objects.filter(status=ResourceStatus.PUBLISHED).order_by("id")[:12])
    for user, picks in ((student, published[:3]), (teacher, published[3:6])):
        if user is None:
            continue
        for resource in picks:
            services.favourite_add(user=user, resource=resource)
            total += 1
    if (
        teacher is not None
        and services.teacher_schools(teacher)
        and not TeachingGroup.objects.filter(created_by=teacher, name=GROUP_NAME).exists()
    ):
        group = services.group_create(
            user=teacher,
            name=GROUP_NAME,
            description="分数单元集体备课、听评课与作业设计研讨。",
            reach="county",
        )
        for resource in published[:3]:
            GroupResource.objects.create(group=group, resource=resource, shared_by=teacher)
        first_post = timezone.now() - dt.timedelta(days=len(POSTS))
        for i, (name, body) in enumerate(POSTS):
            post = GroupPost.objects.create(
                group=group,
                author=teacher if i == 1 else None,
                author_name=teacher.display_name if i == 1 else name,
                body=body,
            )
            GroupPost.objects.filter(pk=post.pk).update(
                created_at=first_post + dt.timedelta(days=i)
            )
        GroupMembership.objects.filter(group=group).update(role=MemberRole.OWNER)
        total += 1 + len(POSTS)
    for county in counties:
        report = services.usage_facts_write(year=facts_year, region=county)
        say(
            f"  spaces: {county} school year {facts_year}: facts created {report.created}, "
            f"updated {report.updated}, rejected {report.rejected}"
        )
    say(f"  spaces: {len(rows):,} statements for {len(person_ids):,} people")
    return total
