"""Pages of 一师一优课 (activities, 晒课, expert scoring, 优课展示) and 精品 selection.

Organisers' pages require ``lesson.organize``, teachers' ``lesson.submit``; every
object is fetched through the scoping primitive (out of scope answers 404 like a
missing one). The scoring page needs only a login: what it shows is the user's own
panels (membership is object-level, checked in the services).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eduplus.accounts.models import User
from eduplus.core.audit import audit_record
from eduplus.core.feedback import error_text
from eduplus.core.pagination import paginate, querystring_without_page
from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.lessons import selectors, services
from eduplus.lessons.forms import SUBJECT_SUGGESTIONS, ActivityForm, LessonForm, RoundForm
from eduplus.lessons.models import (
    HONOUR,
    Activity,
    ActivityStatus,
    Lesson,
    Level,
    SelectionRound,
)
from eduplus.regions.models import Region
from eduplus.schools.models import School


def _activity(request: HttpRequest, activity_pk: int) -> Activity:
    return access_object(
        request.user,
        Activity.objects.select_related("region", "region__parent", "school"),
        pk=activity_pk,
        request=request,
    )


def _lesson(request: HttpRequest, lesson_pk: int) -> Lesson:
    return access_object(
        request.user, selectors.lesson_detail_queryset(), pk=lesson_pk, request=request
    )


def _round(request: HttpRequest, round_pk: int) -> SelectionRound:
    return access_object(
        request.user,
        SelectionRound.objects.select_related("region", "region__parent"),
        pk=round_pk,
        request=request,
    )


# -------------------------------------------------------------------------- home


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """一师一优课: the activities the user organises or takes part in, their own lessons,
    their scoring queue, and the way to the showcase."""
    user = request.user
    organiser = user_can(user, Action.LESSON_ORGANIZE)
    teacher = user_can(user, Action.LESSON_SUBMIT)
    page = paginate(request, selectors.activity_list(user)) if organiser or teacher else None
    mine = {lesson.activity_id: lesson for lesson in selectors.my_lessons(user)} if teacher else {}
    if page is not None:
        page.object_list = list(page.object_list)
        for activity in page.object_list:
            activity.my_lesson = mine.get(activity.pk)
    return render(
        request,
        "lessons/home.html",
        {
            "page": page,
            "qs": querystring_without_page(request),
            "organiser": organiser,
            "teacher": teacher,
            "my_lessons": list(mine.values()),
            "queue_total": len(selectors.review_queue(user)),
            "rounds": list(selectors.round_list(user)[:20]) if organiser else [],
            "may_round": organiser and bool(services.organiser_regions(user)),
            "may_create": organiser
            and bool(services.organiser_regions(user) or services.organiser_schools(user)),
            "can_view": user_can(user, Action.RESOURCE_VIEW),
            "now": timezone.now(),
        },
    )


# -------------------------------------------------------------------- activities


def _parse_rubric(form: Any) -> list[dict[str, Any]] | None:
    try:
        return services.parse_rubric(form.cleaned_data["rubric"])
    except ValidationError as exc:
        form.add_error("rubric", error_text(exc))
        return None


@require_action(Action.LESSON_ORGANIZE)
def activity_create(request: HttpRequest) -> HttpResponse:
    regions = services.organiser_regions(request.user)
    schools = services.organiser_schools(request.user)
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = ActivityForm(
        request.POST or None,
        regions=regions,
        schools=schools,
        initial={
            "title": _("%(year)s年度“一师一优课、一课一名师”活动") % {"year": now.year},
            "opens_at": now,
            "deadline": now + dt.timedelta(days=30),
        },
    )
    if request.method == "POST" and form.is_valid():
        rubric = _parse_rubric(form)
        if rubric is not None:
            kind, _sep, key = form.cleaned_data["organiser"].partition(":")
            region = Region.objects.filter(code=key).first() if kind == "region" else None
            school = School.objects.filter(pk=key).first() if kind == "school" else None
            try:
                activity = services.activity_create(
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    region=region,
                    school=school,
                    opens_at=form.cleaned_data["opens_at"],
                    deadline=form.cleaned_data["deadline"],
                    rubric=rubric,
                    quota=form.cleaned_data["quota"],
                    recommend_quota=form.cleaned_data["recommend_quota"],
                    description=form.cleaned_data["description"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, error_text(exc))
            else:
                messages.success(request, _("活动已创建。下一步：聘任评审专家（建议至少 3 位）。"))
                return redirect("lessons:activity_detail", activity_pk=activity.pk)
    return render(request, "lessons/activity_form.html", {"form": form})


@require_action(Action.LESSON_ORGANIZE)
def activity_detail(request: HttpRequest, activity_pk: int) -> HttpResponse:
    activity = _activity(request, activity_pk)
    organiser = services.may_organise(request.user, activity)
    lessons = selectors.activity_lessons(activity)
    if not organiser:
        lessons = lessons.filter(pk__in=Lesson.objects.visible_to(request.user).values("pk"))
    rows = list(lessons)
    closed = activity.status in (ActivityStatus.CLOSED, ActivityStatus.PUBLISHED)
    scores = selectors.scores_of_lessons(rows) if organiser and closed else {}
    wants_targets = (
        organiser and any(r.selected for r in rows) and services.recommendations_left(activity) > 0
    )
    targets = services.open_targets(activity, rows) if wants_targets else []
    for row in rows:
        row.expert_scores = scores.get(row.pk, [])  # type: ignore[attr-defined]
        row.targets = [  # type: ignore[attr-defined]
            t for t in targets if row.selected and str(row.region_id).startswith(str(t.region_id))
        ]
    preselect = {r.pk for r in rows if r.rank is not None and r.rank <= activity.quota}
    experts = list(selectors.activity_experts(activity))
    return render(
        request,
        "lessons/activity_detail.html",
        {
            "activity": activity,
            "organiser": organiser,
            "lessons": rows,
            "experts": experts,
            "few_experts": len(experts) < services.RECOMMENDED_PANEL_SIZE,
            "recommended_size": services.RECOMMENDED_PANEL_SIZE,
            "preselect": preselect,
            "closed": closed,
            "draft_total": activity.lessons.filter(status="draft").count(),
        },
    )


@require_POST
@require_action(Action.LESSON_ORGANIZE)
def activity_act(request: HttpRequest, activity_pk: int) -> HttpResponse:
    """One organiser step: panel changes, start or close scoring, select, recommend."""
    activity = _activity(request, activity_pk)
    op = request.POST.get("op", "")
    user = request.user
    try:
        if op in PANEL_OPS:
            _panel_op(request, op, activity=activity)
        elif op == "start_scoring":
            services.activity_start_scoring(actor=user, activity=activity, request=request)
            messages.success(request, _("评审已开始，课例不能再修改；专家可在“评审任务”中评分"))
        elif op == "close_scoring":
            services.activity_close_scoring(actor=user, activity=activity, request=request)
            messages.success(request, _("评审已结束，已计算最终得分和名次。下一步：按名次遴选优课"))
        elif op == "select":
            ids = [i for i in (_int(v) for v in request.POST.getlist("lesson")) if i]
            services.activity_select(actor=user, activity=activity, lesson_ids=ids, request=request)
            messages.success(request, _("优课已遴选并公布，可在“优课展示”中查看"))
        elif op == "recommend":
            lesson = activity.lessons.filter(pk=_int(request.POST.get("lesson")) or 0).first()
            target = Activity.objects.filter(pk=_int(request.POST.get("target")) or 0).first()
            if lesson is None or target is None:
                raise ValidationError(_("请选择课例和上一级活动"))
            services.lesson_recommend(actor=user, lesson=lesson, target=target, request=request)
            messages.success(request, _("已推荐到“%(t)s”") % {"t": target.title})
        else:
            raise ValidationError(_("未知的操作"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("lessons:activity_detail", activity_pk=activity.pk)


PANEL_OPS = ("add_expert", "remove_expert")


def _panel_op(
    request: HttpRequest,
    op: str,
    *,
    activity: Activity | None = None,
    rnd: SelectionRound | None = None,
) -> None:
    """The expert-panel steps (``PANEL_OPS``) an activity and a 精品 round share."""
    if op == "add_expert":
        expert_user = User.objects.filter(username=request.POST.get("username", "").strip()).first()
        services.expert_appoint(
            actor=request.user, user=expert_user, activity=activity, rnd=rnd, request=request
        )
        messages.success(request, _("已聘任专家"))
        return
    panel = activity.experts if activity is not None else rnd.experts  # type: ignore[union-attr]
    expert = panel.filter(pk=_int(request.POST.get("expert")) or 0).first()
    if expert is None:
        raise ValidationError(_("专家组中没有该专家"))
    services.expert_remove(actor=request.user, expert=expert, request=request)
    messages.success(request, _("已移出专家组"))


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


@require_action(Action.LESSON_ORGANIZE)
def activity_export(request: HttpRequest, activity_pk: int) -> HttpResponse:
    """Results as CSV (UTF-8 with BOM, opens in Excel) or XLSX (``?format=xlsx``):
    the lessons the user may see, with final score, rank and selection."""
    activity = _activity(request, activity_pk)
    lessons = selectors.activity_lessons(activity).filter(
        pk__in=Lesson.objects.visible_to(request.user).values("pk")
    )
    header = [
        _("名次"), _("课题"), _("授课教师"), _("学校"), _("学段"), _("学科"), _("年级"),
        _("章节"), _("有效评分数"), _("最终得分"), _("结果"),
    ]  # fmt: skip
    rows = [
        [
            row.rank or "",
            row.title,
            row.author_name,
            row.school.name,
            row.get_stage_display(),
            row.subject,
            row.get_grade_display(),
            row.chapter,
            row.score_count,
            str(row.final_score) if row.final_score is not None else "",
            activity.honour if row.selected else "",
        ]
        for row in lessons
    ]
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    audit_record(
        actor=request.user,
        action="lesson.export",
        target_type="lessons.activity",
        target_id=str(activity.pk),
        target_repr=activity.title,
        request=request,
        details={"format": fmt, "rows": len(rows)},
    )
    filename = f"{activity.title}-结果.{fmt}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet(title=str(_("评审结果")))
        ws.append(header)
        for r in rows:
            ws.append(r)
        buffer = io.BytesIO()
        wb.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(header)
        writer.writerows(rows)
        response = HttpResponse(
            ("\ufeff" + text.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# ----------------------------------------------------------------------- 晒课


@require_action(Action.LESSON_SUBMIT)
def lesson_submit(request: HttpRequest, activity_pk: int) -> HttpResponse:
    """The teacher's lesson in an activity: create, edit, upload the parts, submit."""
    activity = _activity(request, activity_pk)
    lesson = Lesson.objects.filter(activity=activity, author_id=request.user.pk).first()
    school = services.submitter_school(request.user, activity)
    initial = {}
    if lesson is not None:
        initial = {
            "title": lesson.title, "node": lesson.node_id, "stage": lesson.stage,
            "subject": lesson.subject, "grade": lesson.grade, "chapter": lesson.chapter,
        }  # fmt: skip
    form = LessonForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lesson = services.lesson_save(
                actor=request.user,
                activity=activity,
                lesson=lesson,
                data=services.LessonData(
                    title=data["title"],
                    stage=data["stage"] or "",
                    subject=data["subject"] or "",
                    grade=data["grade"],
                    chapter=data["chapter"] or "",
                    node=data["node"],
                ),
                files={key: data.get(key) for key in services.PARTS},
                submit="submit" in request.POST,
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, errs in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, "；".join(errs))
            else:
                form.add_error(None, error_text(exc))
        else:
            if "submit" in request.POST:
                messages.success(request, _("课例已提交。评审开始前仍可修改。"))
            else:
                messages.success(request, _("草稿已保存。上传三个部分后即可提交。"))
            return redirect("lessons:lesson_submit", activity_pk=activity.pk)
    return render(
        request,
        "lessons/lesson_form.html",
        {
            "activity": activity,
            "lesson": lesson,
            "form": form,
            "school": school,
            "subjects": SUBJECT_SUGGESTIONS,
            "parts": services.PARTS,
            "past_deadline": timezone.now() > activity.deadline,
            "not_yet": timezone.now() < activity.opens_at,
        },
    )


@require_action(Action.RESOURCE_VIEW)
def lesson_detail(request: HttpRequest, lesson_pk: int) -> HttpResponse:
    lesson = _lesson(request, lesson_pk)
    activity = lesson.activity
    organiser = services.may_organise(request.user, activity)
    published = activity.status == ActivityStatus.PUBLISHED
    show_result = organiser and activity.status in (ActivityStatus.CLOSED, ActivityStatus.PUBLISHED)
    show_result = show_result or (
        published and (lesson.selected or lesson.author_id == request.user.pk)
    )
    history = selectors.lesson_history(lesson)[1:] if show_result or lesson.selected else []
    return render(
        request,
        "lessons/lesson_detail.html",
        {
            "lesson": lesson,
            "activity": activity,
            "organiser": organiser,
            "show_result": show_result,
            "history": history,
            "parts": [
                (
                    key,
                    part,
                    getattr(lesson, f"{key}_file"),
                    getattr(lesson, f"{key}_name"),
                    getattr(lesson, f"{key}_size"),
                    getattr(lesson, f"{key}_sha256"),
                )
                for key, part in services.PARTS.items()
            ],
            "is_author": lesson.author_id == request.user.pk,
        },
    )


@require_action(Action.RESOURCE_VIEW)
def lesson_file(request: HttpRequest, lesson_pk: int) -> Any:
    """One part of a lesson (``?part=design|courseware|video``), shown inline."""
    lesson = _lesson(request, lesson_pk)
    part = request.GET.get("part", "design")
    if part not in services.PARTS or not getattr(lesson, f"{part}_file"):
        raise Http404("no such part")
    field = getattr(lesson, f"{part}_file")
    try:
        handle = field.storage.open(field.name, "rb")
    except OSError as exc:
        raise Http404("file missing") from exc
    name = getattr(lesson, f"{part}_name") or field.name.rsplit("/", 1)[-1]
    content_type = {
        "pdf": "application/pdf",
        "mp4": "video/mp4",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }.get(field.name.rsplit(".", 1)[-1], "application/octet-stream")
    audit_record(
        actor=request.user,
        action="lesson.file_view",
        target_type="lessons.lesson",
        target_id=str(lesson.pk),
        target_repr=lesson.title,
        request=request,
        details={"part": part},
    )
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = (
        content_disposition_header(part != "video" and not name.endswith(".pdf"), name) or ""
    )
    return response


# ------------------------------------------------------------------- scoring


@login_required
def review(request: HttpRequest) -> HttpResponse:
    """评审任务: the expert's queue; ``?lesson=<id>`` or ``?item=<id>`` opens a score
    sheet. Only the expert's own scores are ever shown here (blind scoring)."""
    user = request.user
    lesson = item = None
    source = request.POST if request.method == "POST" else request.GET
    if source.get("lesson"):
        lesson = selectors.queue_lesson(user, _int(source.get("lesson")) or 0)
    elif source.get("item"):
        item = selectors.queue_item(user, _int(source.get("item")) or 0)
    target = lesson or item
    error = ""
    if request.method == "POST" and target is not None:
        rubric = lesson.activity.rubric if lesson else item.round.rubric  # type: ignore[union-attr]
        points = {c["name"]: request.POST.get(f"c{i}", "") for i, c in enumerate(rubric)}
        recuse = request.POST.get("recuse") == "1"
        kwargs: dict[str, Any] = {
            "actor": user,
            "points": {} if recuse else points,
            "comment": request.POST.get("comment", ""),
            "recuse": recuse,
            "recusal_reason": request.POST.get("recusal_reason", ""),
            "request": request,
        }
        try:
            if lesson is not None:
                services.lesson_score(lesson=lesson, **kwargs)
            else:
                services.item_score(item=item, **kwargs)  # type: ignore[arg-type]
        except ValidationError as exc:
            error = error_text(exc)
        else:
            messages.success(request, _("已回避") if recuse else _("评分已保存，评审结束前可修改"))
            return redirect("lessons:review")
    elif request.method == "POST":
        error = _("找不到该评审任务")
    queue = selectors.review_queue(user)
    mine = selectors.own_score(user, lesson=lesson, item=item) if target is not None else None
    rubric = []
    if target is not None:
        base = lesson.activity.rubric if lesson else item.round.rubric  # type: ignore[union-attr]
        given = mine.points if mine else {}
        rubric = [
            {
                "i": i,
                "name": c["name"],
                "weight": c["weight"],
                "value": request.POST.get(f"c{i}", given.get(c["name"], ""))
                if request.method == "POST"
                else given.get(c["name"], ""),
            }
            for i, c in enumerate(base)
        ]
    return render(
        request,
        "lessons/review.html",
        {
            "queue": queue,
            "todo": sum(1 for e in queue if e.mine is None and not e.conflict),
            "lesson": lesson,
            "item": item,
            "rubric": rubric,
            "error": error,
            "comment": request.POST.get("comment", mine.comment if mine else ""),
            "missing": bool(source.get("lesson") or source.get("item")) and target is None,
        },
        status=200,
    )


# ------------------------------------------------------------------ showcase


@require_action(Action.RESOURCE_VIEW)
def showcase(request: HttpRequest) -> HttpResponse:
    """优课展示: 省优, 市优, 县优 and 校优 lessons of published activities."""
    level = request.GET.get("level", "")
    subject = request.GET.get("subject", "")[:16]
    q = request.GET.get("q", "")[:64]
    page = paginate(request, selectors.showcase(request.user, level=level, subject=subject, q=q))
    counts = selectors.showcase_counts(request.user)
    levels = [
        (lv.value, str(HONOUR[lv]), counts.get(lv.value, 0))
        for lv in (Level.PROVINCE, Level.CITY, Level.COUNTY, Level.SCHOOL)
    ]
    return render(
        request,
        "lessons/showcase.html",
        {
            "page": page,
            "qs": querystring_without_page(request),
            "level": level if level in Level.values else "",
            "subject": subject,
            "q": q,
            "levels": levels,
            "total": sum(counts.values()),
            "subjects": SUBJECT_SUGGESTIONS,
        },
    )


# ---------------------------------------------------------------- 精品 rounds


@require_action(Action.LESSON_ORGANIZE)
def round_create(request: HttpRequest) -> HttpResponse:
    regions = services.organiser_regions(request.user)
    form = RoundForm(request.POST or None, regions=regions)
    if request.method == "POST" and form.is_valid():
        rubric = _parse_rubric(form)
        if rubric is not None:
            data = form.cleaned_data
            try:
                rnd = services.round_create(
                    actor=request.user,
                    title=data["title"],
                    region=Region.objects.get(code=data["region"]),
                    stage=data["stage"],
                    subject=data["subject"],
                    resource_type=data["resource_type"],
                    rubric=rubric,
                    quota=data["quota"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, error_text(exc))
            else:
                messages.success(request, _("遴选已创建。下一步：聘任评审专家。"))
                return redirect("lessons:round_detail", round_pk=rnd.pk)
    return render(request, "lessons/round_form.html", {"form": form, "regions": regions})


@require_action(Action.LESSON_ORGANIZE)
def round_detail(request: HttpRequest, round_pk: int) -> HttpResponse:
    rnd = _round(request, round_pk)
    organiser = services.may_organise_round(request.user, rnd)
    items = list(selectors.round_items(rnd))
    experts = list(selectors.round_experts(rnd))
    preselect = {i.pk for i in items if i.rank is not None and i.rank <= rnd.quota}
    return render(
        request,
        "lessons/round_detail.html",
        {
            "round": rnd,
            "organiser": organiser,
            "items": items,
            "experts": experts,
            "few_experts": len(experts) < services.RECOMMENDED_PANEL_SIZE,
            "recommended_size": services.RECOMMENDED_PANEL_SIZE,
            "preselect": preselect,
            "ranked": any(i.rank is not None for i in items),
        },
    )


@require_POST
@require_action(Action.LESSON_ORGANIZE)
def round_act(request: HttpRequest, round_pk: int) -> HttpResponse:
    rnd = _round(request, round_pk)
    op = request.POST.get("op", "")
    user = request.user
    try:
        if op in PANEL_OPS:
            _panel_op(request, op, rnd=rnd)
        elif op == "rank":
            services.round_rank_refresh(actor=user, rnd=rnd, request=request)
            messages.success(request, _("已按当前评分计算名次"))
        elif op == "confirm":
            ids = [i for i in (_int(v) for v in request.POST.getlist("item")) if i]
            services.round_confirm(actor=user, rnd=rnd, item_ids=ids, request=request)
            messages.success(request, _("已确认精品资源"))
        elif op == "clear":
            services.round_clear(
                actor=user, rnd=rnd, reason=request.POST.get("reason", ""), request=request
            )
            messages.success(request, _("已清除结果，专家可重新评分后再次确认"))
        else:
            raise ValidationError(_("未知的操作"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("lessons:round_detail", round_pk=rnd.pk)
