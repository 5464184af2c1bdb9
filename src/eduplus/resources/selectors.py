"""Reads of the resources module, always through ``Resource.objects.visible_to(user)``.

Search and browsing (facet filters, a catalog node, a topic, or nothing at all) answer
from the full-text index (see search.py), which holds published resources only; the
page's resources are then read through ``visible_to``. Totals are counted up to
``search.COUNT_CAP``; facet counts are exact and cached until the published set changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Ln, Substr
from django.utils import timezone, translation

from eduplus.resources import search
from eduplus.resources.models import (
    FEATURED_BONUS,
    RATING_PRIOR_WEIGHT,
    CatalogNode,
    Comment,
    CommentStatus,
    Complaint,
    ComplaintStatus,
    Edition,
    Grade,
    Rating,
    Resource,
    ResourceActivity,
    ResourceEvent,
    ResourceStatus,
    ResourceType,
    ResourceUsage,
    Stage,
    Subject,
    Topic,
)
from eduplus.resources.tokens import MAX_QUERY_CHARS, query_tokens

PAGE_SIZE = 20
FACETS_TTL = 600

# Facet → (resource column, label choices) in display order.
FACETS: dict[str, tuple[str, Any]] = {
    "stage": ("stage", Stage),
    "subject": ("subject", Subject),
    "edition": ("edition", Edition),
    "grade": ("grade", Grade),
    "type": ("resource_type", ResourceType),
}


@dataclass(frozen=True)
class SearchFilters:
    """A search as the user asked it; unknown values are dropped, never trusted."""

    q: str = ""
    stage: str = ""
    subject: str = ""
    edition: str = ""
    grade: int | None = None
    type: str = ""
    node: CatalogNode | None = None
    topic: Topic | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SearchFilters:
        def choice(name: str, choices: Any) -> str:
            value = str(params.get(name, "") or "")
            return value if value in choices.values else ""

        grade_raw = str(params.get("grade", "") or "")
        grade = int(grade_raw) if grade_raw.isdigit() and int(grade_raw) in Grade.values else None
        node_raw = str(params.get("node", "") or "")
        node = CatalogNode.objects.filter(pk=int(node_raw)).first() if node_raw.isdigit() else None
        topic_raw = str(params.get("topic", "") or "")
        topic = Topic.objects.filter(code=topic_raw).first() if topic_raw else None
        return cls(
            q=" ".join(str(params.get("q", "") or "").split())[:MAX_QUERY_CHARS],
            stage=choice("stage", Stage),
            subject=choice("subject", Subject),
            edition=choice("edition", Edition),
            grade=grade,
            type=choice("type", ResourceType),
            node=node,
            topic=topic,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.stage
            or self.subject
            or self.edition
            or self.grade
            or self.type
            or self.node
            or self.topic
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """Query parameters of this search, with some changed ("" removes one)."""
        values: dict[str, Any] = {
            "q": self.q,
            "stage": self.stage,
            "subject": self.subject,
            "edition": self.edition,
            "grade": self.grade or "",
            "type": self.type,
            "node": self.node.pk if self.node else "",
            "topic": self.topic.code if self.topic else "",
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in ("", None)}

    def match(self) -> search.Match:
        return search.Match(
            tokens=query_tokens(self.q),
            filters=tuple(
                search.filter_tokens(
                    stage=self.stage,
                    subject=self.subject,
                    edition=self.edition,
                    grade=self.grade,
                    resource_type=self.type,
                    node_id=self.node.pk if self.node else None,
                    topic_id=self.topic.pk if self.topic else None,
                )
            ),
        )

    def cache_key(self) -> str:
        raw = repr(sorted(self.params().items()))
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass
class SearchPage:
    items: list[Resource]
    total: int  # counted up to search.COUNT_CAP + 1
    page: int
    size: int

    @property
    def total_capped(self) -> bool:
        return self.total > search.COUNT_CAP

    @property
    def shown_total(self) -> int:
        return min(self.total, search.COUNT_CAP)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.shown_total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def _with_details(qs: QuerySet[Resource]) -> QuerySet[Resource]:
    return qs.select_related("node", "school")


def search_resources(
    user: Any, filters: SearchFilters, *, page: int = 1, size: int = PAGE_SIZE
) -> SearchPage:
    """One page of published resources, best first."""
    page = max(1, page)
    size = max(1, min(size, 100))
    max_page = max(1, -(-search.COUNT_CAP // size))
    page = min(page, max_page)
    offset = (page - 1) * size
    match = filters.match()
    backend = search.backend()
    hits, total = backend.window_and_count(match, search.WINDOW, search.COUNT_CAP)
    ids: list[int] = [h.resource_id for h in search.blend(hits)][offset : offset + size]
    if len(ids) < size and total > search.WINDOW:
        start = max(offset, search.WINDOW)
        ids += backend.static_ids(match, start, size - len(ids))
    found = _with_details(Resource.objects.visible_to(user).published()).in_bulk(ids)
    return SearchPage(
        items=[found[i] for i in ids if i in found], total=total, page=page, size=size
    )


SUGGESTION_STOP_WORDS = (
    "教学", "设计", "练习", "作业", "分层", "课时", "第一", "主题", "单元", "活动", "测试",
)  # fmt: skip


def query_suggestions(user: Any, exclude: str = "", n: int = 3) -> list[str]:
    """Words that do find something, for the empty result: the most frequent words
    (two to four Han characters) of the best-ranked published titles."""
    import re
    from collections import Counter

    import jieba

    from eduplus.resources.tokens import normalise

    key = "resources:suggestions:" + _published_version()
    words = cache.get(key)
    if words is None:
        titles = (
            Resource.objects.visible_to(user)
            .published()
            .order_by("-rank", "-pk")
            .values_list("title", flat=True)[:40]
        )
        han = re.compile(r"[\u4e00-\u9fff]{2,4}")
        # Words every kind of title carries say nothing of the content: the type
        # names and the vocabulary of lesson titles.
        generic = set(SUGGESTION_STOP_WORDS)
        with translation.override(settings.LANGUAGE_CODE):  # the Chinese type names
            labels = [str(label) for label in ResourceType.labels]
        for label in labels:
            generic.update(jieba.lcut(label, HMM=False))
            generic.add(label)
        counts: Counter[str] = Counter()
        for title in titles:
            words_of_title = jieba.lcut(normalise(title), HMM=False)
            counts.update({w for w in words_of_title if han.fullmatch(w) and w not in generic})
        # Most frequent first, then the longer (more telling) word, then the first seen.
        ordered = sorted(counts.items(), key=lambda wc: (-wc[1], -len(wc[0])))
        words = [w for w, _n in ordered[:20]]
        cache.set(key, words, 300)
    return [w for w in words if w not in exclude][:n]


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class Facets:
    total: int = 0
    groups: dict[str, list[FacetValue]] = field(default_factory=dict)


def _published_version() -> str:
    """Changes whenever the published set may have: every such change leaves an event
    (seen by all processes) or, for bulk work, bumps the cached version."""
    last_event = ResourceEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return f"{cache.get(search.FACETS_VERSION_KEY, 0)}.{last_event or 0}"


def _facets_key(filters: SearchFilters) -> str:
    return f"resources:facets:{_published_version()}:{filters.cache_key()}"


def facets_cached(filters: SearchFilters) -> bool:
    return cache.get(_facets_key(filters)) is not None


def search_facets(user: Any, filters: SearchFilters) -> Facets:
    """Exact counts of the published matches by stage, subject, edition, grade, type."""
    key = _facets_key(filters)
    rows: list[tuple[Any, ...]] | None = cache.get(key)
    if rows is None:
        rows = search.backend().facet_rows(filters.match())
        cache.set(key, rows, FACETS_TTL)
    facets = Facets(total=sum(r[-1] for r in rows))
    for i, (name, (_column, choices)) in enumerate(FACETS.items()):
        counts: dict[Any, int] = {}
        for row in rows:
            if row[i] not in ("", None):
                counts[row[i]] = counts.get(row[i], 0) + row[-1]
        facets.groups[name] = [
            FacetValue(str(value), str(label), counts[value])
            for value, label in choices.choices
            if counts.get(value)
        ]
    return facets


# ---------------------------------------------------------------- lists, details


def resource_detail_queryset() -> QuerySet[Resource]:
    return Resource.objects.select_related("node", "school", "region", "author").prefetch_related(
        "topics"
    )


def node_path(node: CatalogNode | None) -> list[CatalogNode]:
    """The node and its ancestors, root first."""
    if node is None:
        return []
    parts = node.path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return list(CatalogNode.objects.filter(path__in=prefixes).order_by("path"))


def resource_history(user: Any, resource: Resource) -> QuerySet[ResourceEvent]:
    """A resource's history is its author's and its reviewers' business."""
    events = ResourceEvent.objects.filter(resource=resource)
    if resource.author_id != user.pk:
        events = events & ResourceEvent.objects.visible_to(user)
    return events.select_related("actor").order_by("created_at", "id")


def my_resources(user: Any) -> QuerySet[Resource]:
    return _with_details(Resource.objects.visible_to(user).filter(author_id=user.pk)).order_by(
        "-id"
    )


def school_queue(user: Any) -> QuerySet[Resource]:
    """Submitted resources of the schools the user administers (学校审核)."""
    from eduplus.core.scoping import scope_for

    schools = sorted(scope_for(user).school_ids)
    return _with_details(
        Resource.objects.visible_to(user).filter(
            status=ResourceStatus.SUBMITTED, school_id__in=schools
        )
    ).order_by("submitted_at", "id")


def county_queue(user: Any) -> QuerySet[Resource]:
    """School-approved resources of the user's region (县级审核)."""
    from eduplus.core.scoping import region_subtree_q, scope_for

    scope = scope_for(user)
    q = Q(pk__in=[])
    for code in sorted(scope.region_codes):
        q |= region_subtree_q("region_id", code)
    return _with_details(
        Resource.objects.visible_to(user).filter(q, status=ResourceStatus.SCHOOL_APPROVED)
    ).order_by("submitted_at", "id")


@dataclass
class TreeNode:
    node: CatalogNode
    count: int = 0
    children: list[TreeNode] = field(default_factory=list)


def _published_counts(name: str, compute: Any) -> dict[Any, int]:
    key = f"resources:counts:{name}:{_published_version()}"
    counts: dict[Any, int] | None = cache.get(key)
    if counts is None:
        counts = dict(compute())
        cache.set(key, counts, FACETS_TTL)
    return counts


def catalog_tree(user: Any) -> list[TreeNode]:
    """The whole catalog with the number of published resources under each node."""
    nodes = list(CatalogNode.objects.order_by("path"))
    direct = _published_counts(
        "nodes",
        lambda: (
            Resource.objects.visible_to(user)
            .published()
            .filter(node__isnull=False)
            .order_by()
            .values_list("node_id")
            .annotate(n=Count("id"))
        ),
    )
    by_path: dict[str, TreeNode] = {}
    roots: list[TreeNode] = []
    for node in nodes:
        tree = TreeNode(node)
        by_path[node.path] = tree
        parent_path = node.path.rsplit("/", 1)[0] if "/" in node.path else ""
        (by_path[parent_path].children if parent_path in by_path else roots).append(tree)
    for node in nodes:
        n = direct.get(node.pk, 0)
        if n:
            parts = node.path.split("/")
            for i in range(len(parts)):
                by_path["/".join(parts[: i + 1])].count += n

    def order(trees: list[TreeNode]) -> None:
        trees.sort(key=lambda t: (t.node.position, t.node.path))
        for t in trees:
            order(t.children)

    order(roots)
    return roots


def topic_counts(user: Any) -> list[tuple[Topic, int]]:
    """Published resources per topic (from the topic links, not a scan of resources)."""
    through = Resource.topics.through
    published = Resource.objects.visible_to(user).published().values("pk")
    counts = _published_counts(
        "topics",
        lambda: (
            through.objects.filter(resource_id__in=published)
            .order_by()
            .values_list("topic_id")
            .annotate(n=Count("id"))
        ),
    )
    return [(t, counts.get(t.pk, 0)) for t in Topic.objects.order_by("position", "id")]


def attachable_nodes() -> list[dict[str, Any]]:
    """The catalog for the upload form's cascading choice (id, parent, kind, name)."""
    return [
        {"id": pk, "parent": parent, "kind": kind, "name": name}
        for pk, parent, kind, name in CatalogNode.objects.order_by("path").values_list(
            "id", "parent_id", "kind", "name"
        )
    ]


# ------------------------------------------------------------- engagement (互动)


def user_rating(user: Any, resource: Resource) -> Rating | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Rating.objects.filter(resource=resource, user_id=user.pk).first()


def resource_comments(user: Any, resource: Resource) -> QuerySet[Comment]:
    """Approved comments of a resource the user may see (fetch it with access_object
    first), and the user's own comments in any state (so they see theirs pending)."""
    q = Q(status=CommentStatus.APPROVED)
    if getattr(user, "is_authenticated", False):
        q |= Q(author_id=user.pk)
    return Comment.objects.filter(q, resource=resource).order_by("-created_at", "-id")


def approved_comments(resource: Resource) -> QuerySet[Comment]:
    return Comment.objects.filter(resource=resource, status=CommentStatus.APPROVED).order_by(
        "-created_at", "-id"
    )


def moderation_comments(user: Any) -> QuerySet[Comment]:
    """Pending comments on resources in the moderator's scope, oldest first."""
    return (
        Comment.objects.visible_to(user)
        .filter(status=CommentStatus.PENDING)
        .select_related("resource", "resource__school")
        .order_by("created_at", "id")
    )


def moderation_complaints(user: Any) -> QuerySet[Complaint]:
    """Open complaints on resources in the moderator's scope, oldest first."""
    return (
        Complaint.objects.visible_to(user)
        .filter(status=ComplaintStatus.OPEN)
        .select_related("resource", "resource__school")
        .order_by("created_at", "id")
    )


def resource_open_complaints(user: Any, resource: Resource) -> QuerySet[Complaint]:
    """A resource's complaints for the moderators whose scope covers it."""
    return Complaint.objects.visible_to(user).filter(resource=resource).order_by("-created_at")


# ---------------------------------------------------------------- statistics

PERIODS: dict[str, int | None] = {"7": 7, "30": 30, "365": 365, "all": None}


def period_start(period: str) -> dt.date | None:
    days = PERIODS.get(period)
    if days is None:
        return None
    return timezone.localdate() - dt.timedelta(days=days - 1)


@dataclass
class StatsRow:
    key: str  # a region code or a school id
    name: str
    resources: int = 0
    views: int = 0
    downloads: int = 0
    ratings: int = 0
    rating_sum: int = 0
    comments: int = 0
    url: str = ""

    @property
    def rating_average(self) -> float | None:
        return round(self.rating_sum / self.ratings, 1) if self.ratings else None


@dataclass
class StatsTable:
    level: str  # "region" (rows are sub-regions) or "school"
    region: Any  # the Region drilled into, or None for the user's whole scope
    crumbs: list[Any]
    rows: list[StatsRow]
    total: StatsRow


def stats_scope_regions(user: Any) -> list[str]:
    """The region codes a statistics reader starts from (minimal prefixes)."""
    from eduplus.core.scoping import minimal_prefixes, scope_for

    return sorted(minimal_prefixes(scope_for(user).region_codes))


def usage_stats(user: Any, region_code: str = "") -> StatsTable:
    """使用统计 of the published resources in the user's scope, grouped one level below
    ``region_code`` (province → cities → counties → schools); a school administrator
    sees their schools. Two grouped queries, whatever the number of resources."""
    from eduplus.core.scoping import region_subtree_q
    from eduplus.regions.models import Region

    base = Resource.objects.under_review_by(user).filter(status=ResourceStatus.PUBLISHED)
    roots = stats_scope_regions(user)
    region = None
    if region_code and any(region_code.startswith(r) for r in roots):
        region = Region.objects.filter(code=region_code).first()
    if region is None and len(roots) == 1:
        region = Region.objects.filter(code=roots[0]).first()
    crumbs: list[Any] = []
    if region is not None:
        base = base.filter(region_subtree_q("region_id", region.code))
        codes = [region.code[:n] for n in (2, 4, 6) if n <= len(region.code)]
        codes = [c for c in codes if any(c.startswith(r) for r in roots)]
        crumbs = list(Region.objects.filter(code__in=codes).order_by("code"))
    sums = {
        "resources": Count("id"),
        "views": Coalesce(Sum("view_count"), 0),
        "downloads": Coalesce(Sum("download_count"), 0),
        "ratings": Coalesce(Sum("rating_count"), 0),
        "rating_sum": Coalesce(Sum("rating_sum"), 0),
        "comments": Coalesce(Sum("comment_count"), 0),
    }
    rows: list[StatsRow] = []
    grouped: Any
    if region is not None and len(region.code) < 6:
        width = len(region.code) + 2
        grouped = (
            base.order_by()
            .annotate(group=Substr("region_id", 1, width))
            .values("group")
            .annotate(**sums)
        )
        names = {
            r.code: r.display_name
            for r in Region.objects.select_related("parent").filter(
                code__startswith=region.code, level=region.level + 1
            )
        }
        for g in map(dict, grouped):
            code = g.pop("group")
            rows.append(StatsRow(key=code, name=str(names.get(code, code)), **g))
        level = "region"
    else:
        grouped = base.order_by().values("school_id", "school__name").annotate(**sums)
        for g in map(dict, grouped):
            school_id = g.pop("school_id")
            name = g.pop("school__name")
            rows.append(StatsRow(key=str(school_id), name=name, **g))
        level = "school"
    rows.sort(key=lambda r: (-r.views - r.downloads, r.key))
    total = StatsRow(key="", name="")
    for r in rows:
        for f in ("resources", "views", "downloads", "ratings", "rating_sum", "comments"):
            setattr(total, f, getattr(total, f) + getattr(r, f))
    return StatsTable(level=level, region=region, crumbs=crumbs, rows=rows, total=total)


def resource_stats(resource: Resource, *, days: int = 30) -> dict[str, Any]:
    """One resource's numbers and its daily use over the last ``days`` days."""
    since = timezone.localdate() - dt.timedelta(days=days - 1)
    daily = list(
        ResourceUsage.objects.filter(resource=resource, day__gte=since)
        .order_by("day")
        .values("day", "views", "downloads")
    )
    return {
        "views": resource.view_count,
        "downloads": resource.download_count,
        "ratings": resource.rating_count,
        "rating_average": resource.rating_average,
        "comments": resource.comment_count,
        "daily": daily,
    }


# ------------------------------------------------------------------- ranking

# The ranking's blend (优质资源排行榜): Bayesian stars (×100, prior = reviewer quality),
# use (×40 per doubling of downloads + views/10) and the 精品 bonus: the search rank's
# formula (models.rank_score) with views counted and an optional period.
RANKING_LIMIT = 50


def _ranking_score(views: Any, downloads: Any) -> Any:
    stars = (Value(float(RATING_PRIOR_WEIGHT)) * F("quality") + F("rating_sum")) / (
        Value(float(RATING_PRIOR_WEIGHT)) + F("rating_count")
    )
    use = Ln(Value(1.0) + downloads + views / Value(10.0)) / Value(0.6931471805599453)
    from django.db.models import Case, When

    bonus = Case(
        *[When(featured_level=k, then=Value(float(v))) for k, v in FEATURED_BONUS.items() if k],
        default=Value(0.0),
        output_field=FloatField(),
    )
    return Value(100.0) * stars + Value(40.0) * use + bonus


def ranking(
    user: Any,
    *,
    stage: str = "",
    subject: str = "",
    period: str = "all",
    limit: int = RANKING_LIMIT,
) -> list[Resource]:
    """The best published resources, by the blended score (``score`` annotated)."""
    qs: Any = Resource.objects.visible_to(user).published()
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    if subject in Subject.values:
        qs = qs.filter(subject=subject)
    start = period_start(period)
    if start is None:
        views: Any = F("view_count")
        downloads: Any = F("download_count")
    else:
        window = Q(usage__day__gte=start)
        qs = qs.annotate(
            p_views=Coalesce(Sum("usage__views", filter=window), 0),
            p_downloads=Coalesce(Sum("usage__downloads", filter=window), 0),
        )
        views, downloads = F("p_views"), F("p_downloads")
    qs = qs.annotate(score=_ranking_score(views, downloads))
    qs = qs.select_related("node", "school").order_by("-score", "-id")
    return list(qs[: max(1, min(limit, 200))])


# ---------------------------------------------------------------- 为你推荐


@dataclass
class Profile:
    """What a recommendation knows of a user."""

    grades: set[int] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)
    volumes: set[str] = field(default_factory=set)  # catalog paths of volumes (册) used
    seen: set[int] = field(default_factory=set)


HISTORY_LIMIT = 200


def user_profile(user: Any) -> Profile:
    """A student's grade from their enrolment; a teacher's subjects from what they
    uploaded; for everyone the subjects and catalog volumes of what they viewed,
    downloaded or rated (the most recent ``HISTORY_LIMIT``)."""
    from eduplus.people.models import Student, StudentStatus

    profile = Profile()
    if not getattr(user, "is_authenticated", False):
        return profile
    person_id = getattr(user, "person_id", None)
    if person_id:
        profile.grades |= set(
            Student.objects.filter(person_id=person_id, status=StudentStatus.ENROLLED)
            .values_list("grade", flat=True)
            .distinct()
        )
    uploaded = Resource.objects.filter(author_id=user.pk).exclude(subject="")
    profile.subjects |= set(uploaded.values_list("subject", flat=True).distinct()[:20])
    seen_ids = list(
        ResourceActivity.objects.filter(user_id=user.pk)
        .order_by("-last_at")
        .values_list("resource_id", flat=True)[:HISTORY_LIMIT]
    )
    seen_ids += list(
        Rating.objects.filter(user_id=user.pk)
        .order_by("-updated_at")
        .values_list("resource_id", flat=True)[:HISTORY_LIMIT]
    )
    profile.seen = set(seen_ids)
    history = Resource.objects.filter(pk__in=profile.seen)
    for subject, path in history.values_list("subject", "node__path"):
        if subject:
            profile.subjects.add(subject)
        if path:
            # The volume (册): stage/subject/edition/grade/volume.
            profile.volumes.add("/".join(path.split("/")[:5]))
    return profile


def recommended_for(user: Any, limit: int = 8) -> list[Resource]:
    """为你推荐: published resources for the user's grade and subjects, the catalog
    volumes they used, best rank first, never one they already viewed, downloaded or
    rated; topped up from the ranking (优质资源排行榜). Other apps may call this."""
    limit = max(1, min(limit, 50))
    profile = user_profile(user)
    visible = Resource.objects.visible_to(user).published().exclude(pk__in=profile.seen)
    if getattr(user, "is_authenticated", False):
        visible = visible.exclude(author_id=user.pk)
    picked: list[Resource] = []
    wanted = Q(pk__in=[])
    if profile.grades:
        wanted |= Q(grade__in=sorted(profile.grades))
    for prefix in sorted(profile.volumes)[:20]:
        wanted |= Q(node__path__startswith=prefix + "/") | Q(node__path=prefix)
    strong = Q(pk__in=[])
    if profile.subjects and profile.grades:
        strong = Q(subject__in=sorted(profile.subjects), grade__in=sorted(profile.grades))
    elif profile.subjects:
        wanted |= Q(subject__in=sorted(profile.subjects))
    for q in (strong, wanted):
        if len(picked) >= limit:
            break
        chosen = {r.pk for r in picked}
        more = _with_details(visible.filter(q).exclude(pk__in=chosen)).order_by("-rank", "-id")
        picked += list(more[: limit - len(picked)])
    if len(picked) < limit:
        chosen = {r.pk for r in picked} | profile.seen
        for r in ranking(user, limit=limit + len(chosen)):
            if r.pk not in chosen and r.author_id != getattr(user, "pk", None):
                picked.append(r)
                if len(picked) >= limit:
                    break
    return picked
