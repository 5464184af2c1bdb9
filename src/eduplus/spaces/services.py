"""Writes of the spaces module: statements (from the platform's own events and from LRS
clients), LRS clients, favourites, teaching-research groups, and the usage facts fed to
monitoring. Every write validates, runs in one transaction and is audited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.accounts.models import RoleAssignment, User
from eduplus.core.audit import audit_record
from eduplus.core.roles import OFFICER_ROLES, Role
from eduplus.core.scoping import scope_for
from eduplus.people.models import Student
from eduplus.regions.models import Region
from eduplus.resources.models import Resource
from eduplus.schools.models import School
from eduplus.spaces import xapi
from eduplus.spaces.models import (
    POST_MAX_CHARS,
    VOIDED_VERB,
    Favourite,
    GroupMembership,
    GroupPost,
    GroupReach,
    GroupResource,
    LrsClient,
    MemberRole,
    MemberStatus,
    Pseudonym,
    Statement,
    TeachingGroup,
)

# The role a statement is counted under when an account holds several.
ROLE_ORDER: list[str] = [
    Role.STUDENT, Role.TEACHER, Role.SCHOOL_ADMIN, Role.PARENT, Role.COUNTY_OFFICER,
    Role.CITY_OFFICER, Role.PROVINCE_OFFICER, Role.DATA_STEWARD,
]  # fmt: skip


# ------------------------------------------------------------------ who and when


@dataclass(frozen=True)
class ActorContext:
    role: str
    school_id: int | None
    region_id: str | None
    person_id: int | None


def actor_context(user: Any) -> ActorContext:
    """Role, school and region a user's statements are counted under (cached per user)."""
    cached = getattr(user, "_spaces_context", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    rows = list(
        RoleAssignment.objects.filter(user_id=user.pk).values_list(
            "role", "school_id", "school__region_id", "region_id"
        )
    )
    rows.sort(key=lambda r: ROLE_ORDER.index(r[0]) if r[0] in ROLE_ORDER else 99)
    role, school_id, school_region, region = rows[0] if rows else ("", None, None, None)
    if not school_id and role in (Role.STUDENT, Role.PARENT) and user.person_id:
        enrolment = (
            Student.objects.filter(person_id=user.person_id, status="enrolled")
            .values_list("school_id", "region_id")
            .first()
        )
        if enrolment:
            school_id, school_region = enrolment
    context = ActorContext(
        role=role,
        school_id=school_id,
        region_id=school_region or (region if role in OFFICER_ROLES else None),
        person_id=user.person_id,
    )
    user._spaces_context = context
    return context


def period_columns(moment: dt.datetime) -> tuple[str, int]:
    """(month "YYYY-MM", school year) in local time; a school year starts in September."""
    local = timezone.localtime(moment)
    return f"{local.year:04d}-{local.month:02d}", local.year if local.month >= 9 else local.year - 1


def pseudonym_for(user: Any) -> str:
    """The stable pseudonymous id of the user's person (or account, when it has none)."""
    lookup = {"person_id": user.person_id} if user.person_id else {"user_id": user.pk}
    row = Pseudonym.objects.filter(**lookup).values_list("key", flat=True).first()
    if row:
        return row
    try:
        with transaction.atomic():
            return Pseudonym.objects.create(**lookup).key
    except IntegrityError:
        return Pseudonym.objects.filter(**lookup).values_list("key", flat=True).get()


def agent_for(user: Any) -> dict[str, Any]:
    return {
        "objectType": "Agent",
        "account": {"homePage": xapi.site_url(), "name": pseudonym_for(user)},
    }


PLATFORM_AUTHORITY = {
    "objectType": "Agent",
    "name": "EduPlus",
    "account": {"homePage": "", "name": "eduplus-platform"},
}


def _platform_authority() -> dict[str, Any]:
    return {**PLATFORM_AUTHORITY, "account": {"homePage": xapi.site_url(), "name": "eduplus"}}


# ---------------------------------------------------------- the platform's statements


def statement_record(
    *,
    user: Any,
    verb: str,
    object_id: str,
    object_name: str = "",
    activity_type: str = "",
    resource: Resource | None = None,
    result: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    timestamp: dt.datetime | None = None,
) -> Statement:
    """Record one thing a platform user did (``verb`` is a name of ``xapi.VERB_IDS``)."""
    verb_id = xapi.VERB_IDS[verb]
    moment = timestamp or timezone.now()
    definition: dict[str, Any] = {}
    if object_name:
        definition["name"] = {"zh-CN": object_name[:255]}
    if activity_type:
        definition["type"] = activity_type
    obj: dict[str, Any] = {"objectType": "Activity", "id": object_id}
    if definition:
        obj["definition"] = definition
    agent = agent_for(user)
    who = actor_context(user)
    month, school_year = period_columns(moment)
    body = {"actor": agent, "verb": {"id": verb_id}, "object": obj}
    if result:
        body["result"] = result
    if context:
        body["context"] = context
    return Statement.objects.create(
        user=user,
        person_id=who.person_id,
        actor=agent,
        actor_key=f"{xapi.site_url()}|{agent['account']['name']}",
        verb_id=verb_id,
        verb_display=xapi.verb_display(verb_id),
        object_json=obj,
        object_id=object_id[:512],
        object_type="Activity",
        object_name=object_name[:255],
        resource=resource,
        result=result,
        context=context,
        timestamp=moment,
        authority=_platform_authority(),
        content_hash=xapi.content_hash(body),
        school_id=who.school_id,
        region_id=who.region_id,
        role=who.role,
        month=month,
        school_year=school_year,
    )


RESOURCE_ACTIVITY_TYPE = "http://id.tincanapi.com/activitytype/resource"


def resource_iri(resource_id: int) -> str:
    return xapi.activity_iri(f"resources/{resource_id}/")


def resource_event_record(
    *, user: Any, verb: str, resource: Resource | None, extra: dict[str, Any] | None = None
) -> Statement | None:
    """A resources event (see ``eduplus.resources.signals``) as a statement."""
    if user is None or not getattr(user, "is_authenticated", False) or verb not in xapi.VERB_IDS:
        return None
    extra = dict(extra or {})
    result = None
    if verb == "rated" and isinstance(extra.get("score"), (int, float)):
        result = {"score": {"raw": extra["score"], "min": 1, "max": 5}}
    if resource is not None:
        object_id, name = resource_iri(resource.pk), resource.title
    else:
        object_id, name = xapi.activity_iri("resources/search/"), str(extra.get("q", ""))[:100]
    context = {"platform": "EduPlus"}
    detail = {k: v for k, v in extra.items() if k in ("comment_id", "q", "page")}
    if detail:
        context["extensions"] = {xapi.activity_iri("xapi/extensions/detail"): detail}  # type: ignore[assignment]
    return statement_record(
        user=user,
        verb=verb,
        object_id=object_id,
        object_name=name,
        activity_type=RESOURCE_ACTIVITY_TYPE,
        resource=resource,
        result=result,
        context=context,
    )


# ------------------------------------------------------------- statements from clients


def _resolve_account(name: str) -> tuple[User | None, int | None]:
    row = Pseudonym.objects.filter(key=name).values_list("person_id", "user_id").first()
    if row is None:
        return None, None
    person_id, user_id = row
    if user_id:
        return User.objects.filter(pk=user_id).first(), None
    return User.objects.filter(person_id=person_id).first(), person_id


def _covers(region_code: str | None, scope_region: str) -> bool:
    return bool(region_code) and str(region_code).startswith(scope_region)


def statements_store(
    *,
    payload: Any,
    client: LrsClient | None = None,
    user: Any = None,
    statement_id: str | None = None,
    request: Any = None,
) -> list[str]:
    """Store statements from an LRS client (or a signed-in user's own): all or nothing.

    ``statement_id`` is a PUT's: the payload is then one statement with that id. The
    same id sent again with the same content is accepted once (idempotent); with other
    content it is refused with 409. Raises ``xapi.XapiError``.
    """
    if (client is None) == (user is None):
        raise ValueError("exactly one of client and user")
    if statement_id is not None:
        try:
            put_id = uuid.UUID(statement_id)
        except ValueError:
            raise xapi.XapiError("statementId", _("应为 UUID")) from None
        if not isinstance(payload, dict):
            raise xapi.XapiError("statement", _("PUT 只接受一条记录（JSON 对象）"))
        cleaned = xapi.clean_batch(payload)
        if cleaned[0].id is not None and cleaned[0].id != put_id:
            raise xapi.XapiError("statement.id", _("与 statementId 参数不一致"))
        cleaned[0].id = put_id
    else:
        cleaned = xapi.clean_batch(payload)
    own_key = pseudonym_for(user) if user is not None else None
    now = timezone.now()
    authority = (
        {"objectType": "Agent", "name": client.name,
         "account": {"homePage": xapi.site_url(), "name": f"lrs-client:{client.key}"}}
        if client is not None
        else _platform_authority()
    )  # fmt: skip
    rows: list[Statement] = []
    voids: list[uuid.UUID] = []
    for i, c in enumerate(cleaned):
        where = (
            "statement" if len(cleaned) == 1 and isinstance(payload, dict) else f"statements[{i}]"
        )
        actor_user: User | None = None
        person_id: int | None = None
        if c.account_name is not None:
            actor_user, person_id = _resolve_account(c.account_name)
        if user is not None:
            if c.account_name != own_key:
                raise xapi.XapiError(f"{where}.actor", _("只能提交本人的学习记录"), status=403)
            actor_user = user
        who = actor_context(actor_user) if actor_user is not None else None
        region_id = who.region_id if who else None
        if client is not None:
            if who is not None and not _covers(region_id, client.region_id):
                raise xapi.XapiError(
                    f"{where}.actor", _("该学习者不在本客户端所属区域内"), status=403
                )
            region_id = region_id or client.region_id
        if c.verb_id == VOIDED_VERB:
            voids.append(uuid.UUID(c.object_id))
        moment = c.timestamp or now
        month, school_year = period_columns(moment)
        rows.append(
            Statement(
                id=c.id or uuid.uuid4(),
                user=actor_user,
                person_id=(who.person_id if who else person_id),
                actor=c.actor,
                actor_key=c.actor_key,
                verb_id=c.verb_id,
                verb_display=c.verb_display,
                object_json=c.object,
                object_id=c.object_id,
                object_type=c.object_type,
                object_name=c.object_name,
                result=c.result,
                context=c.context,
                timestamp=moment,
                authority=authority,
                client=client,
                content_hash=c.content_hash,
                school_id=who.school_id if who else None,
                region_id=region_id,
                role=who.role if who else "",
                month=month,
                school_year=school_year,
            )
        )
    with transaction.atomic():
        existing = {
            s.id: s.content_hash
            for s in Statement.objects.filter(id__in=[r.id for r in rows]).only(
                "id", "content_hash"
            )
        }
        fresh = []
        for i, row in enumerate(rows):
            if row.id in existing:
                if existing[row.id] != row.content_hash:
                    raise xapi.XapiError(
                        f"statements[{i}].id" if len(rows) > 1 else "statement.id",
                        _("已有同一标识但内容不同的记录"),
                        status=409,
                    )
                continue
            fresh.append(row)
        if voids:
            reach: Any = Statement.objects.all()
            reach = reach.visible_to(client) if client is not None else reach.filter(user=user)
            targets = set(
                reach.filter(id__in=voids).exclude(verb_id=VOIDED_VERB).values_list("id", flat=True)
            )
            for target in voids:
                if target not in targets:
                    raise xapi.XapiError(
                        "object.id", _("被撤销的记录不存在、不在范围内或本身是撤销记录")
                    )
            Statement.objects.filter(id__in=sorted(targets, key=str)).update(voided=True)
        Statement.objects.bulk_create(fresh, batch_size=500)
        audit_record(
            actor=user,
            username=client.get_username() if client is not None else "",
            action="lrs.statements_store",
            target_type="spaces.statement",
            target_repr=f"{len(fresh)} new / {len(rows)}",
            request=request,
            details={"client": client.key if client else None, "stored": len(fresh),
                     "received": len(rows), "voided": len(voids)},
        )  # fmt: skip
    return [str(r.id) for r in rows]


# ------------------------------------------------------------------- LRS clients


def lrs_client_create(
    *, name: str, region: Region, actor: Any = None, request: Any = None
) -> tuple[LrsClient, str]:
    """A new client for a region; the secret is returned once and stored hashed."""
    name = " ".join((name or "").split())
    if not name or len(name) > 64:
        raise ValidationError({"name": _("请填写名称（不超过64个字符）")})
    if actor is not None and not scope_for(actor).covers_region(region.code, personal=True):
        raise ValidationError({"region": _("只能为本人管辖的区域创建客户端")})
    secret = secrets.token_urlsafe(24)
    with transaction.atomic():
        client = LrsClient(
            name=name,
            region=region,
            secret_hash=make_password(secret),
            created_by=actor.get_username() if actor is not None else "cli",
        )
        client.full_clean()
        client.save()
        audit_record(
            actor=actor,
            username="" if actor is not None else "cli",
            action="lrs.client_create",
            target_type="spaces.lrsclient",
            target_id=str(client.pk),
            target_repr=f"{client.name} {region.code}",
            request=request,
        )
    return client, secret


def lrs_client_revoke(*, client: LrsClient, actor: Any = None, request: Any = None) -> LrsClient:
    with transaction.atomic():
        client.active = False
        client.save(update_fields=["active"])
        audit_record(
            actor=actor,
            action="lrs.client_revoke",
            target_type="spaces.lrsclient",
            target_id=str(client.pk),
            target_repr=client.name,
            request=request,
        )
    return client


def lrs_client_authenticate(key: str, secret: str) -> LrsClient | None:
    client = LrsClient.objects.filter(key=key, active=True).select_related("region").first()
    if client is None or not check_password(secret, client.secret_hash):
        return None
    return client


# ------------------------------------------------------------------- favourites


def favourite_add(*, user: Any, resource: Resource) -> tuple[Favourite, bool]:
    with transaction.atomic():
        favourite, created = Favourite.objects.get_or_create(user=user, resource=resource)
        if created:
            statement_record(
                user=user,
                verb="favorited",
                object_id=resource_iri(resource.pk),
                object_name=resource.title,
                activity_type=RESOURCE_ACTIVITY_TYPE,
                resource=resource,
            )
    return favourite, created


def favourite_remove(*, user: Any, resource: Resource) -> bool:
    deleted, _rows = Favourite.objects.filter(user=user, resource=resource).delete()
    return deleted > 0


def favourite_toggle(*, user: Any, resource: Resource) -> bool:
    """Add or remove; returns whether the resource is now a favourite."""
    if Favourite.objects.filter(user=user, resource=resource).exists():
        favourite_remove(user=user, resource=resource)
        return False
    favourite_add(user=user, resource=resource)
    return True


# --------------------------------------------------------- teaching-research groups


def teacher_schools(user: Any) -> list[School]:
    """The schools where the user holds the teacher role."""
    return list(
        School.objects.filter(
            id__in=RoleAssignment.objects.filter(user_id=user.pk, role=Role.TEACHER).values(
                "school_id"
            )
        ).order_by("id")
    )


def in_reach(group: TeachingGroup, user: Any) -> bool:
    """Whether a teacher may join: of the group's school, or of its county if county-wide."""
    for school in teacher_schools(user):
        if school.pk == group.school_id:
            return True
        if group.reach == GroupReach.COUNTY and school.region_id == group.region_id:
            return True
    return False


def membership(group: TeachingGroup, user: Any) -> GroupMembership | None:
    return GroupMembership.objects.filter(group=group, user_id=user.pk).first()


def is_member(group: TeachingGroup, user: Any) -> bool:
    m = membership(group, user)
    return m is not None and m.status == MemberStatus.ACTIVE


def group_iri(group: TeachingGroup) -> str:
    return xapi.activity_iri(f"spaces/groups/{group.pk}/")


GROUP_ACTIVITY_TYPE = "http://id.tincanapi.com/activitytype/community-site"


def group_create(
    *, user: Any, name: str, description: str = "", reach: str = GroupReach.SCHOOL,
    request: Any = None,
) -> TeachingGroup:  # fmt: skip
    schools = teacher_schools(user)
    if not schools:
        raise ValidationError(_("只有教师可以创建教研组"))
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("请填写教研组名称")})
    if reach not in GroupReach.values:
        raise ValidationError({"reach": _("加入范围无效")})
    school = schools[0]
    with transaction.atomic():
        group = TeachingGroup(
            name=name,
            description=(description or "").strip(),
            school=school,
            region_id=school.region_id,
            reach=reach,
            created_by=user,
        )
        group.full_clean()
        group.save()
        GroupMembership.objects.create(
            group=group, user=user, role=MemberRole.OWNER, status=MemberStatus.ACTIVE
        )
        statement_record(
            user=user, verb="created", object_id=group_iri(group), object_name=group.name,
            activity_type=GROUP_ACTIVITY_TYPE,
        )  # fmt: skip
        audit_record(
            actor=user, action="spaces.group_create", target_type="spaces.teachinggroup",
            target_id=str(group.pk), target_repr=group.name, request=request,
        )  # fmt: skip
    return group


def group_invite(
    *, group: TeachingGroup, inviter: Any, username: str, request: Any = None
) -> GroupMembership:
    if not is_member(group, inviter):
        raise ValidationError(_("只有本组成员可以邀请"))
    invitee = User.objects.filter(username=(username or "").strip(), is_active=True).first()
    # One answer for "no such account" and "not a teacher within reach": no account probing.
    if invitee is None or not in_reach(group, invitee):
        raise ValidationError(
            _("没有找到可邀请的教师账号：须为本校教师，县级教研组可邀请本县（区）教师")
        )
    if membership(group, invitee) is not None:
        raise ValidationError(_("该教师已是成员或已被邀请"))
    with transaction.atomic():
        m = GroupMembership.objects.create(
            group=group, user=invitee, status=MemberStatus.INVITED, invited_by=inviter
        )
        audit_record(
            actor=inviter, action="spaces.group_invite", target_type="spaces.teachinggroup",
            target_id=str(group.pk), target_repr=invitee.get_username(), request=request,
        )  # fmt: skip
    return m


def group_join(*, group: TeachingGroup, user: Any, request: Any = None) -> GroupMembership:
    """Accept an invitation, or join a group within reach."""
    m = membership(group, user)
    if m is not None and m.status == MemberStatus.ACTIVE:
        raise ValidationError(_("你已是本组成员"))
    if m is None and not in_reach(group, user):
        raise ValidationError(_("只能加入本校或本县（区）开放的教研组"))
    with transaction.atomic():
        if m is None:
            m = GroupMembership.objects.create(group=group, user=user)
        else:
            m.status = MemberStatus.ACTIVE
            m.save(update_fields=["status"])
        statement_record(
            user=user, verb="joined", object_id=group_iri(group), object_name=group.name,
            activity_type=GROUP_ACTIVITY_TYPE,
        )  # fmt: skip
        audit_record(
            actor=user, action="spaces.group_join", target_type="spaces.teachinggroup",
            target_id=str(group.pk), target_repr=group.name, request=request,
        )  # fmt: skip
    return m


def group_share(
    *, group: TeachingGroup, user: Any, resource: Resource, request: Any = None
) -> GroupResource:
    if not is_member(group, user):
        raise ValidationError(_("只有本组成员可以共享资源"))
    if not resource.is_published:
        raise ValidationError(_("只能共享已发布的资源"))
    if GroupResource.objects.filter(group=group, resource=resource).exists():
        raise ValidationError(_("该资源已共享到本组"))
    with transaction.atomic():
        shared = GroupResource.objects.create(group=group, resource=resource, shared_by=user)
        statement_record(
            user=user, verb="shared", object_id=resource_iri(resource.pk),
            object_name=resource.title, activity_type=RESOURCE_ACTIVITY_TYPE, resource=resource,
            context={"contextActivities": {"grouping": [{"id": group_iri(group)}]}},
        )  # fmt: skip
    return shared


def group_post_create(
    *, group: TeachingGroup, user: Any, body: str, request: Any = None
) -> GroupPost:
    if not is_member(group, user):
        raise ValidationError(_("只有本组成员可以发言"))
    text = (body or "").strip()
    if not text:
        raise ValidationError({"body": _("请填写内容")})
    if len(text) > POST_MAX_CHARS:
        raise ValidationError(
            {
                "body": _("内容不能超过 %(n)d 个字（现有 %(m)d 个）")
                % {"n": POST_MAX_CHARS, "m": len(text)}
            }
        )
    with transaction.atomic():
        post = GroupPost.objects.create(
            group=group, author=user, author_name=user.display_name[:64], body=text
        )
        statement_record(
            user=user, verb="replied", object_id=group_iri(group), object_name=group.name,
            activity_type=GROUP_ACTIVITY_TYPE,
        )  # fmt: skip
    return post


# ------------------------------------------------------- usage facts for monitoring

USAGE_FACT_COLUMNS = (
    "teachers_total", "teachers_space_active", "students_g3_total", "students_g3_space_active",
)  # fmt: skip


def usage_facts_write(*, year: int, region: str = "", actor: Any = None) -> Any:
    """Write each school's space-usage counts of school year ``year`` (September ``year``
    to August ``year``+1) as its monitoring facts of that year, then recompute the two
    space indicators (教师/学生空间应用率). Counts are computed set-based (GROUP BY
    school); the facts go through ``monitoring.services.facts_import`` (revisions,
    consistency rules, audit). Returns its report."""
    from eduplus.monitoring.models import Indicator
    from eduplus.monitoring.services import facts_import, indicators_compute
    from eduplus.spaces.usage import Period, school_counts

    counts = school_counts(Period.school_year(year), region=region)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["school_code", "year", *USAGE_FACT_COLUMNS])
    for row in counts:
        writer.writerow(
            [row.code, year, row.teachers, row.teachers_active, row.students, row.students_active]
        )
    if not counts:
        from eduplus.monitoring.services import FactsImportReport

        return FactsImportReport(year=year)
    report = facts_import(
        source=io.BytesIO(out.getvalue().encode("utf-8")),
        filename=f"spaces-usage-{year}.csv",
        year=year,
        actor=actor,
    )
    indicators_compute(
        year=year, indicators=Indicator.objects.filter(code__in=["teacher_space", "student_space"])
    )
    return report
