"""The data catalog (数据目录) and the lineage graph (溯源图谱).

``catalog_sync`` (re)writes one ``Dataset`` row per source system, finished import
batch, golden table and monitoring indicator, in one upsert. Dataset codes are those
lineage events use: ``source:<code>``, ``batch:<id>``, ``golden:students``,
``golden:teachers``, ``indicator:<code>``.

Scope: the catalog is metadata and open to every holder of ``Action.DATA_VIEW``, except
batches, which belong to the region of whoever imported them: a batch dataset (and a
batch node of the lineage graph) is shown only to users who may see that batch.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eduplus.core.scoping import access_object
from eduplus.governance.models import (
    BatchStatus,
    Classification,
    DataItem,
    Dataset,
    DatasetKind,
    GoldenRecord,
    ImportBatch,
    LineageEvent,
    SourceSystem,
)
from eduplus.governance.shareable import SHAREABLE_DATASETS

STALE_AFTER = dt.timedelta(days=365)
GOLDEN_OWNER = "数据管理员（教育数据治理）"
INDICATOR_OWNER = "教育信息化监测"
# Per data item: its classification in a source (sensitive items of minors become
# children's personal data in student sources).
ITEM_CLASSIFICATION: dict[str, str] = {
    "name": Classification.SENSITIVE,
    "id_number": Classification.SENSITIVE,
    "birth_date": Classification.SENSITIVE,
    "gender": Classification.INTERNAL,
    "ethnicity": Classification.INTERNAL,
    "school": Classification.PUBLIC,
    "grade": Classification.INTERNAL,
    "class_name": Classification.INTERNAL,
    "address": Classification.SENSITIVE,
    "phone": Classification.SENSITIVE,
    "guardian_phone": Classification.SENSITIVE,
    "aid_status": Classification.SENSITIVE,
    "health_result": Classification.SENSITIVE,
    "subject": Classification.INTERNAL,
    "title": Classification.INTERNAL,
}
# Where a dataset sits in the lineage graph, left to right.
KIND_LAYER: dict[str, int] = {
    "file": 0,
    "source": 0,
    "batch": 1,
    "golden": 2,
    "monitoring": 2,  # school facts: beside the golden tables, feeding the indicators
    "indicator": 3,
}
KIND_ORDER = [DatasetKind.SOURCE, DatasetKind.BATCH, DatasetKind.GOLDEN, DatasetKind.INDICATOR]
KIND_LABELS: dict[str, Any] = {
    "file": gettext_lazy("源文件"),
    "source": gettext_lazy("来源系统"),
    "batch": gettext_lazy("导入批次"),
    "golden": gettext_lazy("主数据"),
    "monitoring": gettext_lazy("监测数据"),
    "indicator": gettext_lazy("衍生指标"),
}
# Datasets that lineage events name but the catalog does not list.
EXTRA_NAMES: dict[str, Any] = {"monitoring:facts": gettext_lazy("学校信息化基础数据")}


# -------------------------------------------------------------------------- sync


def _item_field(item: str, person_type: str) -> dict[str, str]:
    classification = str(ITEM_CLASSIFICATION.get(item, Classification.INTERNAL))
    if person_type == "student" and classification == Classification.SENSITIVE:
        classification = str(Classification.CHILDREN)
    label = str(DataItem(item).label) if item in DataItem.values else item
    return {"name": item, "label": label, "classification": classification}


def _source_classification(source: SourceSystem) -> str:
    return str(
        Classification.CHILDREN if source.person_type == "student" else Classification.SENSITIVE
    )


def _datasets() -> list[Dataset]:
    sources = list(SourceSystem.objects.order_by("code"))
    done = ImportBatch.objects.filter(status=BatchStatus.DONE)
    per_source: dict[int, dict[str, Any]] = {
        row["source_id"]: dict(row)
        for row in done.values("source_id")
        .annotate(rows=Sum("rows_accepted"), fresh=Max("finished_at"), n=Count("id"))
        .order_by()
    }
    result: list[Dataset] = []
    for source in sources:
        stats: dict[str, Any] = per_source.get(source.pk, {})
        result.append(
            Dataset(
                code=f"source:{source.code}",
                name=source.name,
                kind=DatasetKind.SOURCE,
                owner=source.owner or "—",
                classification=_source_classification(source),
                fields=[_item_field(i, source.person_type) for i in source.items or []],
                description=source.description
                or _("来源系统 %(code)s，已完成 %(n)d 个导入批次")
                % {"code": source.code, "n": stats.get("n", 0)},
                row_count=int(stats.get("rows") or 0),
                updated_at=stats.get("fresh"),
            )
        )
    by_pk = {s.pk: s for s in sources}
    for batch in done.order_by("id").only(
        "id", "source_id", "file_name", "file_sha256", "mapping", "rows_read", "rows_accepted",
        "rows_rejected", "rows_suspicious", "finished_at",
    ):  # fmt: skip
        source = by_pk[batch.source_id]
        mapping = batch.mapping or {}
        fields = []
        for header, item in mapping.items():
            if not item:
                continue
            entry = _item_field(str(item), source.person_type)
            entry["header"] = str(header)
            fields.append(entry)
        result.append(
            Dataset(
                code=f"batch:{batch.pk}",
                name=_("批次 #%(id)d %(file)s") % {"id": batch.pk, "file": batch.file_name},
                kind=DatasetKind.BATCH,
                owner=source.owner or "—",
                classification=_source_classification(source),
                fields=fields or [_item_field(i, source.person_type) for i in source.items or []],
                description=_(
                    "来自 %(source)s 的文件 %(file)s（SHA-256 %(sha)s…）：读取 %(read)d 行，"
                    "接受 %(ok)d 行（其中存疑 %(sus)d 行），拒绝 %(bad)d 行"
                )
                % {
                    "source": source.name,
                    "file": batch.file_name,
                    "sha": batch.file_sha256[:12],
                    "read": batch.rows_read,
                    "ok": batch.rows_accepted,
                    "sus": batch.rows_suspicious,
                    "bad": batch.rows_rejected,
                },
                row_count=batch.rows_accepted,
                updated_at=batch.finished_at,
            )
        )
    golden: dict[str, dict[str, Any]] = {
        row["person_type"]: dict(row)
        for row in GoldenRecord.objects.values("person_type")
        .annotate(n=Count("person_id"), fresh=Max("updated_at"))
        .order_by()
    }
    for code, person_type in (("golden:students", "student"), ("golden:teachers", "teacher")):
        definition = SHAREABLE_DATASETS[code]
        stats = golden.get(person_type, {})
        result.append(
            Dataset(
                code=code,
                # Stored in the default language whoever triggers the sync.
                name=_stored(definition.name),
                kind=DatasetKind.GOLDEN,
                owner=GOLDEN_OWNER,
                classification=definition.classification,
                fields=[
                    {"name": f.name, "label": str(f.label), "classification": f.classification}
                    for f in definition.fields
                ],
                description=_("一人一档：每人一条主数据记录，每个值可追溯到来源系统、批次和行号"),
                row_count=int(stats.get("n") or 0),
                updated_at=stats.get("fresh"),
            )
        )
    result.extend(_indicator_datasets())
    return result


def _indicator_datasets() -> list[Dataset]:
    # Read monitoring's indicators without importing the app at module load.
    from eduplus.monitoring.models import Indicator, IndicatorValue

    stats: dict[int, dict[str, Any]] = {
        row["indicator_id"]: dict(row)
        for row in IndicatorValue.objects.values("indicator_id")
        .annotate(n=Count("id"), fresh=Max("computed_at"))
        .order_by()
    }
    result = []
    for indicator in Indicator.objects.order_by("order", "code"):
        row: dict[str, Any] = stats.get(indicator.pk, {})
        result.append(
            Dataset(
                code=f"indicator:{indicator.code}",
                name=indicator.name,
                kind=DatasetKind.INDICATOR,
                owner=INDICATOR_OWNER,
                classification=Classification.PUBLIC,
                fields=[
                    {"name": "year", "label": _("年度"), "classification": "public"},
                    {"name": "area", "label": _("区划代码"), "classification": "public"},
                    {"name": "school", "label": _("学校"), "classification": "public"},
                    {
                        "name": "numerator",
                        "label": indicator.numerator_label,
                        "classification": "public",
                    },
                    {
                        "name": "denominator",
                        "label": indicator.denominator_label,
                        "classification": "public",
                    },
                    {
                        "name": "value",
                        "label": _("指标值（%(u)s）") % {"u": indicator.unit},
                        "classification": "public",
                    },
                ],
                description=indicator.description
                or _("%(num)s ÷ %(den)s")
                % {"num": indicator.numerator_label, "den": indicator.denominator_label},
                row_count=int(row.get("n") or 0),
                updated_at=row.get("fresh"),
            )
        )
    return result


def catalog_sync() -> int:
    """Create or update every dataset of the catalog in one upsert; datasets whose
    batch or indicator is gone are removed. Returns how many datasets there are."""
    # Names and descriptions are stored in the platform's language, whoever syncs.
    with translation.override(settings.LANGUAGE_CODE):
        datasets = _datasets()
    codes = [d.code for d in datasets]
    with transaction.atomic():
        Dataset.objects.bulk_create(
            datasets,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=[
                "name", "kind", "owner", "classification", "fields", "description",
                "row_count", "updated_at",
            ],
        )  # fmt: skip
        Dataset.objects.exclude(code__in=codes).delete()
    return len(datasets)


def catalog_ensure() -> None:
    """Sync once when the catalog was never built."""
    if not Dataset.objects.exists():
        catalog_sync()


# --------------------------------------------------------------------- selectors


def visible_batch_ids(user: Any) -> set[int]:
    return set(ImportBatch.objects.visible_to(user).values_list("pk", flat=True))


def _batch_id(code: str) -> int | None:
    if not code.startswith("batch:"):
        return None
    tail = code.split(":", 1)[1]
    return int(tail) if tail.isdigit() else -1


def catalog_datasets(
    user: Any, *, kind: str = "", classification: str = "", q: str = ""
) -> QuerySet[Dataset]:
    """The catalog as the user may see it: every dataset, batches only in scope."""
    qs = Dataset.objects.all()
    batch_codes = [f"batch:{pk}" for pk in visible_batch_ids(user)]
    qs = qs.filter(~Q(kind=DatasetKind.BATCH) | Q(code__in=batch_codes))
    if kind in DatasetKind.values:
        qs = qs.filter(kind=kind)
    if classification in Classification.values:
        qs = qs.filter(classification=classification)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    rank = Case(
        *(When(kind=k, then=Value(i)) for i, k in enumerate(KIND_ORDER)),
        default=Value(len(KIND_ORDER)),
        output_field=IntegerField(),
    )
    return qs.annotate(kind_rank=rank).order_by("kind_rank", "code")


def dataset_for(user: Any, code: str, *, request: Any = None) -> Dataset:
    """One dataset, or 404 (a batch out of the user's scope answers like a missing one)."""
    batch_id = _batch_id(code)
    if batch_id is not None:
        access_object(user, ImportBatch, pk=batch_id, request=request)
    dataset = Dataset.objects.filter(code=code).first()
    if dataset is None:
        raise Http404("no such dataset")
    return dataset


def is_stale(dataset: Dataset, *, now: dt.datetime | None = None) -> bool:
    if dataset.updated_at is None:
        return False
    return (now or timezone.now()) - dataset.updated_at > STALE_AFTER


def kind_of(code: str) -> str:
    return code.split(":", 1)[0] if ":" in code else "other"


# ----------------------------------------------------------------------- lineage


@dataclass
class Edge:
    source: str
    target: str
    jobs: list[str] = field(default_factory=list)


@dataclass
class LineageRun:
    """The latest COMPLETE event of one job with one set of inputs and outputs."""

    event: LineageEvent
    inputs: list[str]
    outputs: list[str]


def lineage_runs(user: Any) -> list[LineageRun]:
    """Latest COMPLETE event per (job, inputs, outputs), newest first, with the
    batches the user may not see left out of inputs and outputs."""
    allowed = visible_batch_ids(user)
    seen: set[tuple[str, tuple[str, ...], tuple[str, ...]]] = set()
    runs: list[LineageRun] = []
    events = LineageEvent.objects.filter(event_type="COMPLETE").order_by("-event_time", "-id")
    for event in events.only("id", "event_time", "job_name", "run_id", "inputs", "outputs"):
        key = (event.job_name, tuple(event.inputs or []), tuple(event.outputs or []))
        if key in seen:
            continue
        seen.add(key)
        inputs = [c for c in event.inputs or [] if _code_visible(c, allowed)]
        outputs = [c for c in event.outputs or [] if _code_visible(c, allowed)]
        if _hidden_run(event.outputs or [], outputs) or not (inputs or outputs):
            continue
        runs.append(LineageRun(event, inputs, outputs))
    return runs


def _hidden_run(outputs: list[str], visible: list[str]) -> bool:
    """A run that wrote only batches the user may not see (an import elsewhere): its
    inputs, such as the file's name, are not for the user either."""
    return bool(outputs) and not visible


def _code_visible(code: str, allowed: set[int]) -> bool:
    batch_id = _batch_id(str(code))
    return batch_id is None or batch_id in allowed


def lineage_export(user: Any) -> list[dict[str, Any]]:
    """Every recorded OpenLineage event (oldest first), for export; batches the user may
    not see are left out of inputs and outputs."""
    allowed = visible_batch_ids(user)
    result = []
    for payload in LineageEvent.objects.order_by("event_time", "id").values_list(
        "payload", flat=True
    ):
        event = dict(payload or {})
        written = event.get("outputs") or []
        for side in ("inputs", "outputs"):
            event[side] = [
                d for d in event.get(side) or [] if _code_visible(str(d.get("name", "")), allowed)
            ]
        if _hidden_run(written, event["outputs"]):
            continue
        result.append(event)
    return result


@dataclass
class Graph:
    nodes: list[dict[str, Any]]
    links: list[dict[str, Any]]
    categories: list[dict[str, str]]
    height: int
    focus: str = ""


def _layers(nodes: set[str], edges: dict[tuple[str, str], Edge]) -> dict[str, int]:
    """Known kinds have fixed columns; any other dataset goes one column right of its
    rightmost input (0 when it has none)."""
    layer: dict[str, int] = {n: KIND_LAYER[kind_of(n)] for n in nodes if kind_of(n) in KIND_LAYER}
    preds: dict[str, set[str]] = defaultdict(set)
    for s, t in edges:
        preds[t].add(s)
    for _round in range(len(nodes)):
        changed = False
        for n in nodes:
            if kind_of(n) in KIND_LAYER:
                continue
            value = max((layer.get(p, 0) + 1 for p in preds[n]), default=0)
            if layer.get(n) != value:
                layer[n] = value
                changed = True
        if not changed:
            break
    return layer


def _closure(start: str, step: dict[str, set[str]]) -> set[str]:
    seen = {start}
    todo = deque([start])
    while todo:
        for nxt in step.get(todo.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def neighbours(runs: list[LineageRun], code: str) -> tuple[list[Edge], list[Edge]]:
    """Datasets directly upstream and downstream of ``code``, with the jobs between."""
    up: dict[str, Edge] = {}
    down: dict[str, Edge] = {}
    for run in runs:
        job = run.event.job_name
        if code in run.outputs:
            for c in run.inputs:
                edge = up.setdefault(c, Edge(c, code))
                if job not in edge.jobs:
                    edge.jobs.append(job)
        if code in run.inputs:
            for c in run.outputs:
                edge = down.setdefault(c, Edge(code, c))
                if job not in edge.jobs:
                    edge.jobs.append(job)
    return sorted(up.values(), key=lambda e: _sort_key(e.source)), sorted(
        down.values(), key=lambda e: _sort_key(e.target)
    )


def _sort_key(code: str) -> tuple[int, str, int, str]:
    batch_id = _batch_id(code)
    return (KIND_LAYER.get(kind_of(code), 9), kind_of(code), batch_id or 0, code)


def lineage_graph(runs: list[LineageRun], *, focus: str = "") -> Graph:
    """Nodes placed server-side in columns (files/sources → batches → golden tables →
    indicators), edges labelled with the jobs between; with ``focus``, only that
    dataset and everything upstream and downstream of it."""
    edges: dict[tuple[str, str], Edge] = {}
    nodes: set[str] = set()
    for run in runs:
        for s in run.inputs:
            for t in run.outputs:
                edge = edges.setdefault((s, t), Edge(s, t))
                if run.event.job_name not in edge.jobs:
                    edge.jobs.append(run.event.job_name)
        nodes.update(run.inputs)
        nodes.update(run.outputs)
    if focus:
        if focus not in nodes:
            return Graph([], [], [], 0, focus)
        forward: dict[str, set[str]] = defaultdict(set)
        backward: dict[str, set[str]] = defaultdict(set)
        for s, t in edges:
            forward[s].add(t)
            backward[t].add(s)
        keep = _closure(focus, forward) | _closure(focus, backward)
        nodes &= keep
        edges = {k: e for k, e in edges.items() if k[0] in keep and k[1] in keep}
    names = dict(Dataset.objects.filter(code__in=nodes).values_list("code", "name"))
    layer = _layers(nodes, edges)
    columns: dict[int, list[str]] = defaultdict(list)
    for n in nodes:
        columns[layer[n]].append(n)
    kinds = sorted({kind_of(n) for n in nodes}, key=lambda k: (KIND_LAYER.get(k, 9), k))
    category = {k: i for i, k in enumerate(kinds)}
    row_gap, col_gap = 46, 260
    tallest = max((len(c) for c in columns.values()), default=0)
    out_nodes = []
    for col, members in sorted(columns.items()):
        members.sort(key=_sort_key)
        offset = (tallest - len(members)) * row_gap / 2
        for i, code in enumerate(members):
            out_nodes.append(
                {
                    "id": code,
                    "name": names.get(code) or unlisted_name(code),
                    "code": code,
                    "x": col * col_gap,
                    "y": offset + i * row_gap,
                    "category": category[kind_of(code)],
                    "focus": code == focus,
                }
            )
    links = [
        {"source": e.source, "target": e.target, "label": "、".join(sorted(e.jobs))}
        for e in sorted(edges.values(), key=lambda e: (_sort_key(e.source), _sort_key(e.target)))
    ]
    categories = [{"name": str(KIND_LABELS.get(k, k))} for k in kinds]
    height = max(320, min(2400, tallest * row_gap + 80))
    return Graph(out_nodes, links, categories, height, focus)


def unlisted_name(code: str) -> str:
    """A label for a dataset the catalog does not list (a source file, school facts)."""
    if code in EXTRA_NAMES:
        return str(EXTRA_NAMES[code])
    if kind_of(code) == "file":
        return code.split(":", 1)[1]
    return code


def dataset_names(codes: list[str]) -> dict[str, tuple[str, bool]]:
    """Code → (name, listed in the catalog); codes the catalog does not list keep a
    label of their own."""
    listed = dict(Dataset.objects.filter(code__in=codes).values_list("code", "name"))
    return {
        code: (listed[code], True) if code in listed else (unlisted_name(code), False)
        for code in codes
    }


def _stored(label: object) -> str:
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return str(label)
