"""Demo data of 一师一优课 and 精品 selection (called by `eduplus seed`).

Everything goes through the services, so the audit log tells the story:

* a county activity of the demo ``county`` account, 2026年度“一师一优课、一课一名师”, with
  five lessons by teachers of other schools of the demo county (accounts ``yk-1`` …
  ``yk-5`` are created for them), a panel of the demo ``teacher`` and two more teachers
  (``expert1``, ``expert2``), scored, closed, and its two best lessons selected (县优);
* a city activity of the demo ``city`` account, open, into which the best 县优 is
  recommended with its score history; the demo ``teacher`` has a draft there;
* a second county activity in scoring, so that the demo ``teacher`` has a scoring queue;
* a 精品 round of the ``county`` account over the county's published resources, scored by
  the same panel, whose three best were confirmed 县级精品 (resources.services).

The lesson files are tiny valid PDFs and MP4s generated here. Missing demo accounts:
nothing is written.
"""

from __future__ import annotations

import datetime as dt
import random
import struct
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from eduplus.accounts.models import RoleAssignment, User
from eduplus.core.roles import Role
from eduplus.demo.anchors import demo_anchors
from eduplus.lessons import services
from eduplus.lessons.models import Activity, Expert, Lesson, Score, SelectionRound
from eduplus.people.models import Teacher
from eduplus.regions.models import Region

COUNTY_TITLE = "2026年度“一师一优课、一课一名师”活动（县级）"
CITY_TITLE = "2026年度“一师一优课、一课一名师”活动（市级）"
SECOND_TITLE = "2026年度第二批县级晒课（信息科技专场）"
ROUND_TITLE = "2026年度县级精品资源遴选"
LESSONS = [
    ("小蝌蚪找妈妈", "primary", "语文", 2, "第一单元 课文1"),
    ("分数的初步认识", "primary", "数学", 3, "第八单元 分数的初步认识"),
    ("勾股定理", "junior", "数学", 8, "第十七章 勾股定理"),
    ("My Family", "primary", "英语", 4, "Unit 6 Meet my family"),
    ("光的折射", "junior", "物理", 8, "第四章 第四节"),
]
SECOND = [
    ("用编程绘制图形", "junior", "信息科技", 7, "第三单元"),
    ("数据的编码", "junior", "信息科技", 8, "第一单元"),
]
COMMENTS = (
    "教学目标清晰，环节紧凑，信息技术与学科融合自然。",
    "情境创设好，学生参与度高；板书可再精炼。",
    "重难点突破有效，课件简洁，实录画面清楚。",
)


def pdf_bytes(title: str) -> bytes:
    """A one-page PDF (ASCII only: the title goes in the document info as UTF-16)."""
    info = "\ufeff" + title
    hex_title = info.encode("utf-16-be").hex().upper()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title <{hex_title}> >>".encode(),
    ]
    text = b"BT /F1 18 Tf 72 760 Td (EduPlus demo lesson) Tj ET"
    objects[3] = b"<< /Length " + str(len(text)).encode() + b" >>\nstream\n" + text + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"  # type: ignore[operator]
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\n"
        f"startxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def mp4_bytes(seconds: int, tag: str) -> bytes:
    """ftyp, mdat and moov/mvhd boxes: a header-only MP4 with a duration."""
    ftyp = struct.pack(">I4s4sI", 20, b"ftyp", b"isom", 512) + b"isom"
    mvhd_body = struct.pack(">B3xIIII", 0, 0, 0, 1000, seconds * 1000) + b"\0" * 80
    mvhd = struct.pack(">I4s", 8 + len(mvhd_body), b"mvhd") + mvhd_body
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    payload = f"eduplus demo {tag}".encode() * 8
    mdat = struct.pack(">I4s", 8 + len(payload), b"mdat") + payload
    return ftyp + mdat + moov


def _parts(title: str, seconds: int) -> dict[str, Any]:
    return {
        "design": SimpleUploadedFile(f"{title}-教学设计.pdf", pdf_bytes(f"{title} 教学设计")),
        "courseware": SimpleUploadedFile(f"{title}-课件.pdf", pdf_bytes(f"{title} 课件")),
        "video": SimpleUploadedFile(f"{title}-课堂实录.mp4", mp4_bytes(seconds, title)),
    }


def reset_demo() -> None:
    """Clear the module's rows (they point at schools and accounts about to go)."""
    Score.objects.all().delete()
    Expert.objects.all().delete()
    Lesson.objects.all().delete()
    Activity.objects.all().delete()
    SelectionRound.objects.all().delete()


def _teacher_account(teacher: Teacher, username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username, _demo_password(), person=teacher.person, display_name=teacher.person.name
        )
    else:
        # A reseed made new schools and people: the account follows this seed's teacher.
        user.person = teacher.person
        user.display_name = teacher.person.name
        user.is_active = True
        user.save(update_fields=["person", "display_name", "is_active"])
        RoleAssignment.objects.filter(user=user).delete()
    RoleAssignment.objects.create(user=user, role=Role.TEACHER, school=teacher.school)
    return User.objects.get(pk=user.pk)  # a fresh object: no scope cached before the role


def _demo_password() -> str:
    from eduplus.demo.accounts import DEMO_PASSWORD

    return DEMO_PASSWORD


def seed_demo(*, province: str, seed: int, say: Callable[[str], None]) -> int:
    """Write this module's demo rows; return how many. Deterministic for a seed."""
    county_user = User.objects.filter(username="county", is_active=True).first()
    city_user = User.objects.filter(username="city", is_active=True).first()
    demo_teacher = User.objects.filter(username="teacher", is_active=True).first()
    if county_user is None or city_user is None or demo_teacher is None:
        say("  lessons: demo accounts missing, nothing seeded")
        return 0
    reset_demo()
    anchors = demo_anchors(province)
    county = Region.objects.get(code=anchors.county)
    city = Region.objects.get(code=anchors.city)
    own_school = services.submitter_school(demo_teacher, Activity(region=county, level="county"))
    teachers = list(
        Teacher.objects.filter(school__region_id=county.code, person__account__isnull=True)
        .exclude(school=own_school)
        .select_related("person", "school")
        .order_by("school_id", "id")
    )
    by_school: dict[int, Teacher] = {}
    for t in teachers:
        by_school.setdefault(t.school_id, t)
    picked = list(by_school.values())
    if len(picked) < 7:
        say("  lessons: fewer than 7 schools with teachers in the demo county, nothing seeded")
        return 0
    rng = random.Random(f"eduplus-demo:{seed}:lessons")
    authors = [_teacher_account(t, f"yk-{i + 1}") for i, t in enumerate(picked[:5])]
    experts = [demo_teacher] + [
        _teacher_account(t, f"expert{i + 1}") for i, t in enumerate(picked[5:7])
    ]
    now = timezone.now()
    rows = 0

    # 1. The county activity, all the way to 县优.
    act = services.activity_create(
        actor=county_user, title=COUNTY_TITLE, region=county, opens_at=now - dt.timedelta(days=40),
        deadline=now + dt.timedelta(hours=1), rubric=services.DEFAULT_RUBRIC, quota=2,
        recommend_quota=1,
        description="面向全县中小学教师征集优质课例，经专家评审评出县优课例并推荐参加市级活动。",
    )  # fmt: skip
    lessons = []
    for author, (title, stage, subject, grade, chapter) in zip(authors, LESSONS, strict=True):
        lessons.append(
            services.lesson_save(
                actor=author,
                activity=act,
                data=services.LessonData(
                    title=title, stage=stage, subject=subject, grade=grade, chapter=chapter
                ),
                files=_parts(title, rng.randint(35, 45) * 60),
                submit=True,
            )
        )
    for expert in experts:
        services.expert_appoint(actor=county_user, user=expert, activity=act)
    services.activity_start_scoring(actor=county_user, activity=act)
    for k, lesson in enumerate(lessons):
        for j, expert in enumerate(experts):
            base = 0.95 - 0.07 * k + rng.uniform(-0.04, 0.04)
            points = {c["name"]: max(0, min(c["weight"], round(c["weight"] * base)))
                      for c in act.rubric}  # fmt: skip
            services.lesson_score(actor=expert, lesson=lesson, points=points,
                                  comment=COMMENTS[(k + j) % len(COMMENTS)])  # fmt: skip
            rows += 1
    act = services.activity_close_scoring(actor=county_user, activity=act)
    ranked = sorted(Lesson.objects.filter(activity=act), key=lambda x: x.rank or 99)
    services.activity_select(actor=county_user, activity=act, lesson_ids=[x.pk for x in ranked[:2]])
    rows += 1 + len(lessons)

    # 2. The city activity, open; the best 县优 recommended into it; a draft of `teacher`.
    city_act = services.activity_create(
        actor=city_user, title=CITY_TITLE, region=city, opens_at=now - dt.timedelta(days=5),
        deadline=now + dt.timedelta(days=25), rubric=services.DEFAULT_RUBRIC, quota=3,
        recommend_quota=1,
    )  # fmt: skip
    services.lesson_recommend(actor=county_user, lesson=ranked[0], target=city_act)
    services.lesson_save(
        actor=demo_teacher, activity=city_act,
        data=services.LessonData(title="小蝌蚪找妈妈（第二课时）", stage="primary", subject="语文",
                                 grade=2, chapter="第一单元 课文1"),
        files={"design": _parts("小蝌蚪找妈妈（第二课时）", 2400)["design"]},
    )  # fmt: skip
    rows += 3

    # 3. A second county activity in scoring: the demo teacher's queue.
    second = services.activity_create(
        actor=county_user, title=SECOND_TITLE, region=county, opens_at=now - dt.timedelta(days=20),
        deadline=now + dt.timedelta(hours=1), rubric=services.DEFAULT_RUBRIC, quota=1,
    )  # fmt: skip
    for author, (title, stage, subject, grade, chapter) in zip(authors[2:], SECOND, strict=False):
        services.lesson_save(
            actor=author, activity=second,
            data=services.LessonData(title=title, stage=stage, subject=subject, grade=grade,
                                     chapter=chapter),
            files=_parts(title, 2400), submit=True,
        )  # fmt: skip
    for expert in experts:
        services.expert_appoint(actor=county_user, user=expert, activity=second)
    services.activity_start_scoring(actor=county_user, activity=second)
    rows += 4

    # 4. A 精品 round over the county's published resources, confirmed.
    try:
        rnd = services.round_create(actor=county_user, title=ROUND_TITLE, region=county,
                                    rubric=services.DEFAULT_ROUND_RUBRIC, quota=3)  # fmt: skip
    except Exception:  # no published resources in the county: no round
        say("  lessons: no published resources in the demo county, no 精品 round")
        return rows
    for expert in experts:
        services.expert_appoint(actor=county_user, user=expert, rnd=rnd)
    items = list(rnd.items.select_related("resource").order_by("id")[:12])
    panel_schools = dict(Expert.objects.filter(round=rnd).values_list("user_id", "school_id"))
    for k, item in enumerate(items):
        for j, expert in enumerate(experts):
            conflicted = item.resource.author_id == expert.pk or (
                panel_schools.get(expert.pk) == item.resource.school_id
            )
            base = 0.92 - 0.04 * k + rng.uniform(-0.03, 0.03)
            points = {c["name"]: max(0, min(c["weight"], round(c["weight"] * base)))
                      for c in rnd.rubric}  # fmt: skip
            services.item_score(
                actor=expert, item=item, points={} if conflicted else points,
                comment="" if conflicted else COMMENTS[(k + j) % len(COMMENTS)],
                recuse=conflicted, recusal_reason="本人或本校资源" if conflicted else "",
            )  # fmt: skip
            rows += 1
    ranked_items = sorted(services.round_rank(rnd), key=lambda i: i.rank or 999)
    best = [i.pk for i in ranked_items if i.rank is not None][:3]
    if best:
        services.round_confirm(actor=county_user, rnd=rnd, item_ids=best)
    say(f"  lessons: 3 activities, {len(lessons) + 3} lessons, 1 精品 round ({len(best)} featured)")
    return rows
