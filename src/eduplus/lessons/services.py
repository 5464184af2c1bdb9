"""Writes of 一师一优课 and 精品 selection. Every write validates, runs in one transaction
and records an audit entry; a refused write changes nothing.

Activity: 征集中 (open: drafts, submit before the deadline, edit) → 评审中 (scoring:
experts score) → 评审结束 (closed: final scores and ranks) → 结果已公布 (published: 优课
selected by rank within the quota, shown in 优课展示, recommendable to the next level).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.permissions import user_can
from eduplus.core.roles import OFFICER_ROLES, Action, Role
from eduplus.core.scoping import scope_for
from eduplus.lessons.models import (
    REGION_LEVEL_BY_LENGTH,
    Activity,
    ActivityStatus,
    Expert,
    Lesson,
    LessonStatus,
    Level,
    RoundItem,
    RoundStatus,
    Score,
    SelectionRound,
    trimmed_mean,
)
from eduplus.regions.models import Region
from eduplus.resources import services as resource_services
from eduplus.resources.models import CatalogNode, Resource, ResourceType, Stage
from eduplus.resources.uploads import check_upload, extension_of, mp4_duration_seconds
from eduplus.schools.models import School

MAX_ROUND_ITEMS = 200
# 专家组: at least this many experts are recommended (fewer only warns; none is an error).
RECOMMENDED_PANEL_SIZE = 3

DEFAULT_RUBRIC = [
    {"name": "教学设计", "weight": 30},
    {"name": "课堂实施", "weight": 40},
    {"name": "技术融合", "weight": 20},
    {"name": "教学效果", "weight": 10},
]
DEFAULT_ROUND_RUBRIC = [
    {"name": "科学性", "weight": 30},
    {"name": "教育性", "weight": 30},
    {"name": "技术性", "weight": 20},
    {"name": "艺术性", "weight": 20},
]


@dataclass(frozen=True)
class Part:
    """One of the three parts of a lesson: accepted formats and the upload rule used."""

    key: str
    label: str
    extensions: tuple[str, ...]
    resource_type: str  # the size limit and signature check of resources.uploads


PARTS: dict[str, Part] = {
    p.key: p
    for p in [
        Part("design", "教学设计", ("pdf", "docx"), ResourceType.LESSON_PLAN),
        Part("courseware", "课件", ("pptx", "pdf"), ResourceType.COURSEWARE),
        Part("video", "课堂实录", ("mp4",), ResourceType.MICRO_VIDEO),
    ]
}


def _audit(
    actor: Any,
    action: str,
    obj: Any,
    request: HttpRequest | None = None,
    **details: Any,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type=obj._meta.label_lower,
        target_id=str(obj.pk),
        target_repr=str(obj)[:255],
        request=request,
        details=details,
    )


def _name(user: Any) -> str:
    return (getattr(user, "display_name", "") or user.get_username())[:64]


# ------------------------------------------------------------------------ rubric


def clean_rubric(rubric: Any) -> list[dict[str, Any]]:
    """A list of criteria {"name", "weight"}: names unique, integer weights summing to 100."""
    if not isinstance(rubric, list) or not rubric:
        raise ValidationError({"rubric": _("评分标准至少要有一项")})
    cleaned: list[dict[str, Any]] = []
    names: set[str] = set()
    for criterion in rubric:
        name = str((criterion or {}).get("name", "")).strip()[:32]
        try:
            weight = int(str((criterion or {}).get("weight", "")).strip())
        except ValueError:
            raise ValidationError(
                {"rubric": _("“%(name)s”的分值应为整数") % {"name": name or "?"}}
            ) from None
        if not name:
            raise ValidationError({"rubric": _("评分项须有名称")})
        if name in names:
            raise ValidationError({"rubric": _("评分项“%(name)s”重复") % {"name": name}})
        if weight <= 0:
            raise ValidationError({"rubric": _("“%(name)s”的分值应大于 0") % {"name": name}})
        names.add(name)
        cleaned.append({"name": name, "weight": weight})
    total = sum(c["weight"] for c in cleaned)
    if total != 100:
        raise ValidationError(
            {"rubric": _("各评分项分值之和应为 100，现为 %(total)s") % {"total": total}}
        )
    return cleaned


def parse_rubric(text: str) -> list[dict[str, Any]]:
    """ "教学设计 30" per line (or "教学设计:30") → criteria; errors name the line."""
    rubric: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip().replace("：", " ").replace(":", " ").replace("，", " ")
        if not line:
            continue
        name, _sep, weight = line.rpartition(" ")
        if not name.strip():
            raise ValidationError(
                {"rubric": _("第 %(n)s 行应为“评分项 分值”，如“教学设计 30”") % {"n": number}}
            )
        rubric.append({"name": name.strip(), "weight": weight.strip()})
    return clean_rubric(rubric)


def rubric_text(rubric: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['name']} {c['weight']}" for c in rubric)


# ------------------------------------------------------------------- organisers


def may_organise(user: Any, activity: Activity) -> bool:
    """Organisers of an activity: the school's administrators for a school activity,
    the officers whose region covers it otherwise (and over a school's activity)."""
    if not user_can(user, Action.LESSON_ORGANIZE):
        return False
    scope = scope_for(user)
    if activity.school_id and activity.school_id in scope.school_ids:
        return True
    return scope.covers_region(str(activity.region_id), personal=True)


def may_organise_round(user: Any, rnd: SelectionRound) -> bool:
    return user_can(user, Action.LESSON_ORGANIZE) and scope_for(user).covers_region(
        str(rnd.region_id), personal=True
    )


def _require_organiser(actor: Any, activity: Activity) -> None:
    if not may_organise(actor, activity):
        raise ValidationError(_("您不是该活动的组织者"))


def _require_round_organiser(actor: Any, rnd: SelectionRound) -> None:
    if not may_organise_round(actor, rnd):
        raise ValidationError(_("您不是该遴选的组织者"))


def organiser_schools(user: Any) -> list[School]:
    """Schools whose school-level activities the user may create (school admins)."""
    if not user_can(user, Action.LESSON_ORGANIZE):
        return []
    return list(School.objects.filter(pk__in=sorted(scope_for(user).school_ids)).order_by("name"))


def organiser_regions(user: Any) -> list[Region]:
    """Regions the user may organise a county, city or province activity for."""
    if not user_can(user, Action.LESSON_ORGANIZE):
        return []
    codes = sorted(scope_for(user).region_codes)
    return list(Region.objects.filter(code__in=codes).order_by("code"))


@transaction.atomic
def activity_create(
    *,
    actor: Any,
    title: str,
    opens_at: dt.datetime,
    deadline: dt.datetime,
    rubric: list[dict[str, Any]],
    quota: int,
    region: Region | None = None,
    school: School | None = None,
    recommend_quota: int = 0,
    description: str = "",
    request: HttpRequest | None = None,
) -> Activity:
    """Create an activity: for a school (校级, its administrators) or for a region
    (county, city, province: by the region's code length, its officers)."""
    if not user_can(actor, Action.LESSON_ORGANIZE):
        raise ValidationError(_("您没有组织一师一优课活动的权限"))
    if (region is None) == (school is None):
        raise ValidationError(_("请选择组织区域或组织学校（二选一）"))
    scope = scope_for(actor)
    if school is not None:
        if school.pk not in scope.school_ids:
            raise ValidationError({"school": _("只能为本人管理的学校组织校级活动")})
        level, region = Level.SCHOOL, school.region
    else:
        assert region is not None
        if not scope.covers_region(str(region.code), personal=True):
            raise ValidationError({"region": _("所选区域不在您的管辖范围内")})
        level = REGION_LEVEL_BY_LENGTH[len(region.code)]
    if quota is None or quota < 1:
        raise ValidationError({"quota": _("优课名额至少为 1")})
    if recommend_quota is None or recommend_quota < 0 or recommend_quota > quota:
        raise ValidationError({"recommend_quota": _("向上推荐名额应在 0 到优课名额之间")})
    if level == Level.PROVINCE and recommend_quota:
        raise ValidationError({"recommend_quota": _("省级活动没有上一级，推荐名额应为 0")})
    activity = Activity(
        title=title.strip(),
        level=level,
        region=region,
        school=school,
        description=description.strip(),
        opens_at=opens_at,
        deadline=deadline,
        rubric=clean_rubric(rubric),
        quota=quota,
        recommend_quota=recommend_quota,
        created_by=actor,
    )
    activity.full_clean()
    activity.save()
    _audit(actor, "lesson.activity_create", activity, request, level=level, region=region.code)
    return activity


def _locked_activity(activity: Activity) -> Activity:
    return (
        Activity.objects.select_for_update(of=("self",))
        .select_related("region", "school")
        .get(pk=activity.pk)
    )


# ------------------------------------------------------------------------ panels


def _expert_anchor(user: Any) -> tuple[School | None, str, str]:
    """(the expert's school, their anchor region code, their organisation) from their
    role assignments: a teacher's school, or an officer's region."""
    rows = user.role_assignments.order_by("id").values_list("role", "region_id", "school_id")
    for role, region_id, school_id in rows:
        if role == Role.TEACHER and school_id:
            s = School.objects.get(pk=school_id)
            return s, str(s.region_id), s.name
        if role in OFFICER_ROLES and role != Role.DATA_STEWARD and region_id:
            r = Region.objects.get(code=region_id)
            return None, str(region_id), r.display_name
    return None, "", ""


def _check_expert(user: Any, region_code: str, school: School | None) -> tuple[School | None, str]:
    if user is None or not user.is_active:
        raise ValidationError({"user": _("找不到该账号或账号已停用")})
    own_school, anchor, organisation = _expert_anchor(user)
    if not anchor:
        raise ValidationError({"user": _("专家须为本区域的教师或教育管理者")})
    if not anchor.startswith(region_code):
        raise ValidationError({"user": _("该账号不在本活动的区域内，不能担任专家")})
    if school is not None and own_school is not None and own_school.pk == school.pk:
        raise ValidationError({"user": _("本校教师不能担任本校活动的评审专家（回避）")})
    return own_school, organisation


@transaction.atomic
def expert_appoint(
    *,
    actor: Any,
    user: Any,
    activity: Activity | None = None,
    rnd: SelectionRound | None = None,
    request: HttpRequest | None = None,
) -> Expert:
    """Appoint a teacher or officer of the region to the panel (专家组)."""
    if activity is not None:
        activity = _locked_activity(activity)
        _require_organiser(actor, activity)
        if activity.status not in (ActivityStatus.OPEN, ActivityStatus.SCORING):
            raise ValidationError(_("评审已结束，不能再调整专家组"))
        exists = Expert.objects.filter(activity=activity, user=user).exists()
        own_school, organisation = _check_expert(user, str(activity.region_id), activity.school)
    else:
        assert rnd is not None
        _require_round_organiser(actor, rnd)
        if not rnd.is_scoring:
            raise ValidationError(_("遴选已确认，不能再调整专家组"))
        exists = Expert.objects.filter(round=rnd, user=user).exists()
        own_school, organisation = _check_expert(user, str(rnd.region_id), None)
    if exists:
        raise ValidationError({"user": _("该专家已在专家组中")})
    expert = Expert(
        activity=activity,
        round=rnd,
        user=user,
        name=_name(user),
        school=own_school,
        organisation=organisation[:128],
    )
    expert.full_clean()
    expert.save()
    _audit(actor, "lesson.expert_appoint", activity or rnd, request, expert=user.get_username())
    return expert


@transaction.atomic
def expert_remove(*, actor: Any, expert: Expert, request: HttpRequest | None = None) -> None:
    """Take an expert off the panel, with their scores (only while scoring is open)."""
    owner: Activity | SelectionRound
    if expert.activity_id:
        owner = _locked_activity(expert.activity)  # type: ignore[arg-type]
        _require_organiser(actor, owner)
        if owner.status not in (ActivityStatus.OPEN, ActivityStatus.SCORING):
            raise ValidationError(_("评审已结束，不能再调整专家组"))
    else:
        rnd = SelectionRound.objects.get(pk=int(expert.round_id or 0))
        owner = rnd
        _require_round_organiser(actor, rnd)
        if not rnd.is_scoring:
            raise ValidationError(_("遴选已确认，不能再调整专家组"))
    username = expert.user.get_username()
    expert.delete()
    _audit(actor, "lesson.expert_remove", owner, request, expert=username)


# ----------------------------------------------------------------------- lessons


def submitter_school(user: Any, activity: Activity) -> School | None:
    """The teacher's school that takes part in the activity, or None."""
    if not user_can(user, Action.LESSON_SUBMIT):
        return None
    ids = sorted(scope_for(user).org_school_ids)
    schools = School.objects.filter(pk__in=ids).order_by("pk")
    if activity.school_id:
        return schools.filter(pk=activity.school_id).first()
    return schools.filter(region__code__startswith=str(activity.region_id)).first()


@dataclass
class LessonData:
    title: str
    stage: str
    subject: str
    grade: int | None
    chapter: str = ""
    node: CatalogNode | None = None


def _clean_data(data: LessonData) -> LessonData:
    errors: dict[str, str] = {}
    if data.node is not None:
        if not data.node.stage or not data.node.subject or not data.node.grade:
            errors["node"] = _("请选择年级以下（册、章节或课节）的教材目录节点")
        else:
            data.stage = data.node.stage
            data.subject = str(data.node.get_subject_display())
            data.grade = data.node.grade
            data.chapter = data.chapter.strip() or data.node.name
    data.title = data.title.strip()
    data.subject = data.subject.strip()
    if not data.title:
        errors["title"] = _("请填写课题")
    if data.stage not in Stage.values:
        errors["stage"] = _("请选择学段")
    if not data.subject:
        errors["subject"] = _("请填写学科")
    if not data.grade:
        errors["grade"] = _("请选择年级")
    if errors:
        raise ValidationError(errors)
    return data


def _check_part(part: Part, upload: UploadedFile) -> tuple[str, int, str, int | None]:
    """Check one uploaded part (format, size, signature) → (sha256, size, ext, seconds)."""
    name = upload.name or ""
    extension = extension_of(name)
    if extension not in part.extensions:
        raise ValidationError(
            {
                part.key: _("%(part)s只接受 %(formats)s 格式；该文件的格式为“%(ext)s”")
                % {
                    "part": part.label,
                    "formats": "、".join(e.upper() for e in part.extensions),
                    "ext": extension or _("无扩展名"),
                }
            }
        )
    try:
        checked = check_upload(
            name=name,
            size=upload.size or 0,
            chunks=upload.chunks(),
            resource_type=part.resource_type,
        )
    except ValidationError as exc:
        raise ValidationError({part.key: f"{part.label}：" + "；".join(exc.messages)}) from None
    seconds = None
    if extension == "mp4":
        seconds = mp4_duration_seconds(upload.file)  # type: ignore[arg-type]
    return checked.sha256, checked.size, extension, seconds


def _store(sha256: str, extension: str, upload: UploadedFile) -> str:
    storage = Lesson._meta.get_field("design_file").storage  # type: ignore[attr-defined]
    name = f"lessons/{sha256[:2]}/{sha256}.{extension}"
    if not storage.exists(name):
        upload.seek(0)
        name = storage.save(name, ContentFile(upload.read()))
    return name


def _apply_files(lesson: Lesson, files: dict[str, UploadedFile | None]) -> dict[str, str]:
    """Check every given part first (nothing stored if one is refused), then store."""
    unknown = set(files) - set(PARTS)
    if unknown:
        raise TypeError(f"unknown parts {sorted(unknown)}")
    checked = {}
    for key, upload in files.items():
        if upload is not None:
            checked[key] = (upload, *_check_part(PARTS[key], upload))
    hashes = {}
    for key, (upload, sha256, size, extension, seconds) in checked.items():
        setattr(lesson, f"{key}_file", _store(sha256, extension, upload))
        setattr(lesson, f"{key}_name", (upload.name or "")[-255:])
        setattr(lesson, f"{key}_sha256", sha256)
        setattr(lesson, f"{key}_size", size)
        if key == "video":
            lesson.video_seconds = seconds
        hashes[key] = sha256
    return hashes


def _check_submittable(lesson: Lesson, activity: Activity) -> None:
    now = timezone.now()
    if now < activity.opens_at:
        raise ValidationError(_("晒课尚未开始，开始时间为 %(t)s") % {"t": _fmt(activity.opens_at)})
    if now > activity.deadline:
        raise ValidationError(_("晒课已于 %(t)s 截止，不能再提交") % {"t": _fmt(activity.deadline)})
    missing = [p.label for p in PARTS.values() if not getattr(lesson, f"{p.key}_file")]
    if missing:
        raise ValidationError(_("提交前请上传：%(parts)s") % {"parts": "、".join(missing)})


def _fmt(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def lesson_save(
    *,
    actor: Any,
    activity: Activity,
    data: LessonData,
    files: dict[str, UploadedFile | None] | None = None,
    lesson: Lesson | None = None,
    submit: bool = False,
    request: HttpRequest | None = None,
) -> Lesson:
    """Create or edit the teacher's lesson (a draft), and submit it if asked.

    Drafts may be saved while the activity is open; submitting needs the three parts
    and the period; a submitted lesson stays editable until scoring starts."""
    activity = _locked_activity(activity)
    if activity.status != ActivityStatus.OPEN:
        raise ValidationError(_("评审已开始，课例不能再修改"))
    if lesson is None:
        school = submitter_school(actor, activity)
        if school is None:
            raise ValidationError(_("只有参加本活动的学校的教师可以晒课"))
        if Lesson.objects.filter(activity=activity, author=actor).exists():
            raise ValidationError(_("您已在本活动中晒课，每位教师只能晒一节课；请修改已有的课例"))
        lesson = Lesson(
            activity=activity,
            author=actor,
            author_name=_name(actor),
            school=school,
            region_id=school.region_id,
        )
        created = True
    else:
        lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
        if lesson.author_id != actor.pk or lesson.activity_id != activity.pk:
            raise ValidationError(_("只有授课教师本人可以修改课例"))
        if lesson.recommended_from_id:
            raise ValidationError(_("推荐上来的课例不能修改"))
        created = False
    data = _clean_data(data)
    lesson.title = data.title
    lesson.stage = data.stage
    lesson.subject = data.subject
    lesson.grade = data.grade  # type: ignore[assignment]
    lesson.chapter = data.chapter.strip()[:128]
    lesson.node = data.node
    hashes = _apply_files(lesson, files or {})
    if submit and lesson.status == LessonStatus.DRAFT:
        _check_submittable(lesson, activity)
        lesson.status = LessonStatus.SUBMITTED
        lesson.submitted_at = timezone.now()
    elif lesson.status == LessonStatus.SUBMITTED and not lesson.has_all_parts:
        raise ValidationError(_("已提交的课例须保留三个部分"))
    lesson.full_clean()
    lesson.save()
    action = "lesson.create" if created else "lesson.update"
    _audit(actor, action, lesson, request, status=lesson.status, files=hashes)
    if submit:
        _audit(actor, "lesson.submit", lesson, request)
    return lesson


@transaction.atomic
def activity_start_scoring(
    *, actor: Any, activity: Activity, request: HttpRequest | None = None
) -> Activity:
    """End 晒课 and open scoring: needs at least one expert and one submitted lesson."""
    activity = _locked_activity(activity)
    _require_organiser(actor, activity)
    if activity.status != ActivityStatus.OPEN:
        raise ValidationError(_("只有征集中的活动可以开始评审"))
    experts = activity.experts.count()
    if experts == 0:
        raise ValidationError(_("专家组还没有专家：请先聘任专家（建议至少 3 位）"))
    if not activity.lessons.filter(status=LessonStatus.SUBMITTED).exists():
        raise ValidationError(_("还没有已提交的课例，不能开始评审"))
    activity.status = ActivityStatus.SCORING
    activity.scoring_started_at = timezone.now()
    activity.save(update_fields=["status", "scoring_started_at"])
    _audit(actor, "lesson.scoring_start", activity, request, experts=experts)
    return activity


# ------------------------------------------------------------------------ scoring


def _expert_for(
    actor: Any, *, activity: Activity | None = None, rnd: SelectionRound | None = None
) -> Expert:
    qs = Expert.objects.filter(user_id=int(getattr(actor, "pk", None) or 0))
    expert = (qs.filter(activity=activity) if activity else qs.filter(round=rnd)).first()
    if expert is None:
        raise ValidationError(_("您不是本活动专家组的成员"))
    return expert


def _clean_points(rubric: list[dict[str, Any]], points: dict[str, Any]) -> dict[str, int]:
    cleaned: dict[str, int] = {}
    for criterion in rubric:
        name, weight = criterion["name"], int(criterion["weight"])
        raw = points.get(name)
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            raise ValidationError(
                {
                    "points": _("请为“%(name)s”打分（0 到 %(w)s 的整数）")
                    % {"name": name, "w": weight}
                }
            ) from None
        if str(raw).strip() != str(value) or not 0 <= value <= weight:
            raise ValidationError(
                {
                    "points": _("“%(name)s”的得分应为 0 到 %(w)s 的整数")
                    % {"name": name, "w": weight}
                }
            )
        cleaned[name] = value
    extra = set(points) - set(cleaned)
    if extra:
        raise ValidationError(
            {"points": _("评分标准中没有“%(name)s”") % {"name": sorted(extra)[0]}}
        )
    return cleaned


def _save_score(
    expert: Expert,
    rubric: list[dict[str, Any]],
    *,
    lesson: Lesson | None,
    item: RoundItem | None,
    points: dict[str, Any],
    comment: str,
    recuse: bool,
    reason: str,
) -> Score:
    comment, reason = comment.strip(), reason.strip()
    if recuse:
        if not reason:
            raise ValidationError({"recusal_reason": _("回避须说明原因")})
        cleaned: dict[str, int] = {}
    else:
        cleaned = _clean_points(rubric, points)
        if not comment:
            raise ValidationError({"comment": _("请填写评语")})
    score = Score.objects.filter(expert=expert, lesson=lesson, item=item).first() or Score(
        expert=expert, lesson=lesson, item=item
    )
    score.points = cleaned
    score.total = sum(cleaned.values())
    score.comment = comment[:1000]
    score.recused = recuse
    score.recusal_reason = reason[:255] if recuse else ""
    score.submitted_at = timezone.now()
    score.full_clean()
    score.save()
    return score


@transaction.atomic
def lesson_score(
    *,
    actor: Any,
    lesson: Lesson,
    points: dict[str, Any],
    comment: str = "",
    recuse: bool = False,
    recusal_reason: str = "",
    request: HttpRequest | None = None,
) -> Score:
    """An expert scores a lesson (each criterion 0..weight, an integer, and a comment),
    or recuses with a reason. Scores may be revised until scoring closes. Blind: no
    expert ever reads another's score."""
    activity = _locked_activity(lesson.activity)
    expert = _expert_for(actor, activity=activity)
    if activity.status != ActivityStatus.SCORING:
        raise ValidationError(_("本活动当前不在评审阶段"))
    if lesson.status != LessonStatus.SUBMITTED:
        raise ValidationError(_("只能为已提交的课例评分"))
    if expert.school_id and expert.school_id == lesson.school_id and not recuse:
        raise ValidationError(_("不能为本校教师的课例评分（回避）"))
    score = _save_score(
        expert, activity.rubric, lesson=lesson, item=None, points=points,
        comment=comment, recuse=recuse, reason=recusal_reason,
    )  # fmt: skip
    _audit(
        actor, "lesson.recuse" if recuse else "lesson.score", lesson, request,
        total=score.total, reason=score.recusal_reason,
    )  # fmt: skip
    return score


def _rank(rows: list[Any]) -> None:
    """Competition ranking (1, 2, 2, 4) by final score; unscored rows get no rank."""
    scored = sorted((r for r in rows if r.final_score is not None), key=lambda r: -r.final_score)
    previous, rank = None, 0
    for i, row in enumerate(scored, 1):
        if row.final_score != previous:
            rank, previous = i, row.final_score
        row.rank = rank
    for row in rows:
        if row.final_score is None:
            row.rank = None


def _finals(rows: list[Any], scores: QuerySet[Score], field: str) -> None:
    totals: dict[int, list[int]] = {}
    for target_id, total in scores.filter(recused=False).values_list(field, "total"):
        totals.setdefault(target_id, []).append(total)
    for row in rows:
        values = totals.get(row.pk, [])
        row.final_score = trimmed_mean(values)
        row.score_count = len(values)
    _rank(rows)


@transaction.atomic
def activity_close_scoring(
    *, actor: Any, activity: Activity, request: HttpRequest | None = None
) -> Activity:
    """Close scoring: every submitted lesson gets its final score (the mean, trimmed of
    the highest and the lowest when there are 5 scores or more) and its rank."""
    activity = _locked_activity(activity)
    _require_organiser(actor, activity)
    if activity.status != ActivityStatus.SCORING:
        raise ValidationError(_("只有评审中的活动可以结束评审"))
    lessons = list(activity.lessons.filter(status=LessonStatus.SUBMITTED))
    scores = Score.objects.filter(lesson__in=lessons)
    if not scores.filter(recused=False).exists():
        raise ValidationError(_("还没有任何专家评分，不能结束评审"))
    _finals(lessons, scores, "lesson_id")
    Lesson.objects.bulk_update(lessons, ["final_score", "score_count", "rank"])
    activity.status = ActivityStatus.CLOSED
    activity.closed_at = timezone.now()
    activity.save(update_fields=["status", "closed_at"])
    _audit(actor, "lesson.scoring_close", activity, request, lessons=len(lessons))
    return activity


def _check_by_rank(chosen: list[Any], candidates: list[Any], quota: int) -> None:
    if not chosen:
        raise ValidationError(_("请至少选择一项"))
    if len(chosen) > quota:
        raise ValidationError(_("选择了 %(n)s 项，超过名额 %(q)s") % {"n": len(chosen), "q": quota})
    if any(row.final_score is None for row in chosen):
        raise ValidationError(_("没有最终得分的不能入选"))
    worst = max(row.rank for row in chosen)
    skipped = [r for r in candidates if r not in chosen and r.rank is not None and r.rank < worst]
    if skipped:
        raise ValidationError(
            _("须按名次遴选：“%(t)s”（第 %(r)s 名）排名更靠前却未入选")
            % {"t": skipped[0], "r": skipped[0].rank}
        )


@transaction.atomic
def activity_select(
    *,
    actor: Any,
    activity: Activity,
    lesson_ids: list[int],
    request: HttpRequest | None = None,
) -> Activity:
    """Select the 优课 of the level by rank within the quota, and publish the result."""
    activity = _locked_activity(activity)
    _require_organiser(actor, activity)
    if activity.status != ActivityStatus.CLOSED:
        raise ValidationError(_("请先结束评审，再遴选优课"))
    candidates = list(activity.lessons.filter(status=LessonStatus.SUBMITTED))
    wanted = {int(i) for i in lesson_ids}
    chosen = [row for row in candidates if row.pk in wanted]
    if len(chosen) != len(wanted):
        raise ValidationError(_("所选课例不属于本活动"))
    _check_by_rank(chosen, candidates, activity.quota)
    now = timezone.now()
    Lesson.objects.filter(pk__in=[r.pk for r in chosen]).update(selected=True, selected_at=now)
    activity.status = ActivityStatus.PUBLISHED
    activity.published_at = now
    activity.save(update_fields=["status", "published_at"])
    _audit(
        actor, "lesson.select", activity, request,
        lessons=[r.pk for r in chosen], scores=[str(r.final_score) for r in chosen],
    )  # fmt: skip
    return activity


def recommend_targets(lesson: Lesson) -> QuerySet[Activity]:
    """Open activities of the next level whose region covers the lesson's school."""
    nxt = lesson.activity.next_level
    if nxt is None:
        return Activity.objects.none()
    code = str(lesson.region_id)
    prefixes = [code[:n] for n in (2, 4, 6) if len(code) >= n]
    return Activity.objects.filter(
        level=nxt, region_id__in=prefixes, status=ActivityStatus.OPEN
    ).select_related("region")


def recommendations_left(activity: Activity) -> int:
    """How many of the activity's 优课 may still be recommended to the next level."""
    if activity.next_level is None:
        return 0
    used = Lesson.objects.filter(recommended_from__activity=activity).count()
    return max(0, activity.recommend_quota - used)


def open_targets(activity: Activity, lessons: list[Lesson]) -> list[Activity]:
    """Open next-level activities covering any of the lessons (one query for a page)."""
    nxt = activity.next_level
    if nxt is None:
        return []
    codes = {str(lesson.region_id) for lesson in lessons}
    prefixes = sorted({c[:n] for c in codes for n in (2, 4, 6) if len(c) >= n})
    return list(
        Activity.objects.filter(level=nxt, region_id__in=prefixes, status=ActivityStatus.OPEN)
        .select_related("region")
        .order_by("id")
    )


@transaction.atomic
def lesson_recommend(
    *,
    actor: Any,
    lesson: Lesson,
    target: Activity,
    request: HttpRequest | None = None,
) -> Lesson:
    """Recommend a 优课 to the next level's activity (school → county → city →
    province): a submitted copy there, linked to the original and its scores."""
    lesson = Lesson.objects.get(pk=lesson.pk)
    source = _locked_activity(lesson.activity)
    _require_organiser(actor, source)
    target = _locked_activity(target)
    if not lesson.selected or source.status != ActivityStatus.PUBLISHED:
        raise ValidationError(_("只有已公布的优课可以向上推荐"))
    if target.level != source.next_level:
        raise ValidationError(
            _("只能推荐到上一级（%(level)s）的活动") % {"level": source.next_level}
        )
    if not recommend_targets(lesson).filter(pk=target.pk).exists():
        raise ValidationError(_("目标活动不在征集中，或不覆盖该课例的学校"))
    if timezone.now() > target.deadline:
        raise ValidationError(_("目标活动已截止"))
    if Lesson.objects.filter(activity=target, author_id=lesson.author_id).exists():
        raise ValidationError(_("该教师已在目标活动中有课例"))
    if recommendations_left(source) <= 0:
        raise ValidationError(
            _("本活动的向上推荐名额（%(q)s）已用完") % {"q": source.recommend_quota}
        )
    copy = Lesson(
        activity=target,
        author_id=lesson.author_id,
        author_name=lesson.author_name,
        school_id=lesson.school_id,
        region_id=lesson.region_id,
        title=lesson.title,
        stage=lesson.stage,
        subject=lesson.subject,
        grade=lesson.grade,
        chapter=lesson.chapter,
        node_id=lesson.node_id,
        status=LessonStatus.SUBMITTED,
        submitted_at=timezone.now(),
        recommended_from=lesson,
    )
    for part in PARTS:
        for suffix in ("file", "name", "sha256", "size"):
            setattr(copy, f"{part}_{suffix}", getattr(lesson, f"{part}_{suffix}"))
    copy.video_seconds = lesson.video_seconds
    copy.full_clean()
    copy.save()
    _audit(
        actor, "lesson.recommend", copy, request,
        source=lesson.pk, target=target.pk, score=str(lesson.final_score), rank=lesson.rank,
    )  # fmt: skip
    return copy


# ------------------------------------------------------------------ 精品 rounds


@transaction.atomic
def round_create(
    *,
    actor: Any,
    title: str,
    region: Region,
    rubric: list[dict[str, Any]],
    quota: int,
    stage: str = "",
    subject: str = "",
    resource_type: str = "",
    request: HttpRequest | None = None,
) -> SelectionRound:
    """Open a 精品 round over the published resources of a county, city or province
    (filtered by stage, subject and type); the resources are listed for scoring."""
    if not user_can(actor, Action.LESSON_ORGANIZE):
        raise ValidationError(_("您没有组织精品遴选的权限"))
    if not scope_for(actor).covers_region(str(region.code), personal=True):
        raise ValidationError({"region": _("所选区域不在您的管辖范围内")})
    if stage and stage not in Stage.values:
        raise ValidationError({"stage": _("未知的学段")})
    if resource_type and resource_type not in ResourceType.values:
        raise ValidationError({"resource_type": _("未知的资源类型")})
    if quota is None or quota < 1:
        raise ValidationError({"quota": _("精品名额至少为 1")})
    rnd = SelectionRound(
        title=title.strip(),
        level=REGION_LEVEL_BY_LENGTH[len(region.code)].value,
        region=region,
        stage=stage,
        subject=subject,
        resource_type=resource_type,
        rubric=clean_rubric(rubric),
        quota=quota,
        created_by=actor,
    )
    rnd.full_clean()
    resources = Resource.objects.published().filter(region__code__startswith=region.code)
    if stage:
        resources = resources.filter(stage=stage)
    if subject:
        resources = resources.filter(subject=subject)
    if resource_type:
        resources = resources.filter(resource_type=resource_type)
    ids = list(resources.order_by("-rank", "-id").values_list("pk", flat=True)[:MAX_ROUND_ITEMS])
    if not ids:
        raise ValidationError(_("该区域内没有符合筛选条件的已发布资源"))
    rnd.save()
    RoundItem.objects.bulk_create([RoundItem(round=rnd, resource_id=pk) for pk in ids])
    _audit(actor, "lesson.round_create", rnd, request, items=len(ids), level=rnd.level)
    return rnd


@transaction.atomic
def item_score(
    *,
    actor: Any,
    item: RoundItem,
    points: dict[str, Any],
    comment: str = "",
    recuse: bool = False,
    recusal_reason: str = "",
    request: HttpRequest | None = None,
) -> Score:
    """An expert scores a resource of a round (or recuses): as for lessons."""
    rnd = SelectionRound.objects.select_for_update().get(pk=item.round_id)
    expert = _expert_for(actor, rnd=rnd)
    if not rnd.is_scoring:
        raise ValidationError(_("本次遴选当前不在评审阶段"))
    resource = item.resource
    if not recuse and (
        resource.author_id == actor.pk
        or (expert.school_id and expert.school_id == resource.school_id)
    ):
        raise ValidationError(_("不能为本人或本校的资源评分（回避）"))
    score = _save_score(
        expert, rnd.rubric, lesson=None, item=item, points=points,
        comment=comment, recuse=recuse, reason=recusal_reason,
    )  # fmt: skip
    _audit(actor, "lesson.item_recuse" if recuse else "lesson.item_score", rnd, request,
           item=item.pk, total=score.total)  # fmt: skip
    return score


def round_rank(rnd: SelectionRound) -> list[RoundItem]:
    """Compute (and keep) the final scores and ranks of a round's items."""
    items = list(rnd.items.select_related("resource"))
    _finals(items, Score.objects.filter(item__round=rnd), "item_id")
    RoundItem.objects.bulk_update(items, ["final_score", "score_count", "rank"])
    return items


@transaction.atomic
def round_rank_refresh(
    *, actor: Any, rnd: SelectionRound, request: HttpRequest | None = None
) -> list[RoundItem]:
    """The organiser's look at the standing before confirming (audited)."""
    _require_round_organiser(actor, rnd)
    if not rnd.is_scoring:
        raise ValidationError(_("本次遴选已确认"))
    items = round_rank(rnd)
    _audit(actor, "lesson.round_rank", rnd, request)
    return items


@transaction.atomic
def round_confirm(
    *,
    actor: Any,
    rnd: SelectionRound,
    item_ids: list[int],
    request: HttpRequest | None = None,
) -> SelectionRound:
    """Confirm the top resources by rank within the quota: each is featured (精品) at
    the round's level through ``resources.services.resource_set_featured``."""
    rnd = SelectionRound.objects.select_for_update().get(pk=rnd.pk)
    _require_round_organiser(actor, rnd)
    if not rnd.is_scoring:
        raise ValidationError(_("本次遴选已确认；如需重新遴选，请先清除结果"))
    if not Score.objects.filter(item__round=rnd, recused=False).exists():
        raise ValidationError(_("还没有任何专家评分，不能确认"))
    items = round_rank(rnd)
    wanted = {int(i) for i in item_ids}
    chosen = [row for row in items if row.pk in wanted]
    if len(chosen) != len(wanted):
        raise ValidationError(_("所选资源不属于本次遴选"))
    _check_by_rank(chosen, items, rnd.quota)
    reason = _("精品遴选：%(title)s（第 %(run)s 轮）") % {"title": rnd.title, "run": rnd.run}
    for row in chosen:
        resource_services.resource_set_featured(
            actor=actor, resource=row.resource, level=rnd.level, reason=reason, request=request
        )
    RoundItem.objects.filter(pk__in=[r.pk for r in chosen]).update(featured=True)
    rnd.status = RoundStatus.CONFIRMED
    rnd.confirmed_at = timezone.now()
    rnd.save(update_fields=["status", "confirmed_at"])
    _audit(actor, "lesson.round_confirm", rnd, request, items=[r.pk for r in chosen], run=rnd.run)
    return rnd


@transaction.atomic
def round_clear(
    *, actor: Any, rnd: SelectionRound, reason: str, request: HttpRequest | None = None
) -> SelectionRound:
    """Clear a confirmed result (the resources lose this round's 精品 level) and reopen
    scoring for a re-run; the reason is required and audited."""
    rnd = SelectionRound.objects.select_for_update().get(pk=rnd.pk)
    _require_round_organiser(actor, rnd)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("清除结果须说明原因")})
    if rnd.status != RoundStatus.CONFIRMED:
        raise ValidationError(_("只有已确认的遴选可以清除结果"))
    cleared = []
    for item in rnd.items.filter(featured=True).select_related("resource"):
        if item.resource.featured_level == rnd.level:
            resource_services.resource_set_featured(
                actor=actor, resource=item.resource, level="", reason=reason, request=request
            )
            cleared.append(item.resource_id)
    rnd.items.update(featured=False)
    rnd.status = RoundStatus.SCORING
    rnd.confirmed_at = None
    rnd.run += 1
    rnd.save(update_fields=["status", "confirmed_at", "run"])
    _audit(actor, "lesson.round_clear", rnd, request, reason=reason, cleared=cleared, run=rnd.run)
    return rnd


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
