"""Harvesting another platform's feed (资源汇聚): pages from the cursor, files verified,
resources created through ``eduplus.resources.federation``.

Duplicates are avoided twice: an entry whose origin (instance, id) is already linked
here updates that resource; otherwise a resource with the same content (SHA-256) is
linked, not copied. Entries that originate here (origin instance = ours) are never
imported back.

Failures are per entry. A *permanent* one (missing fields, a value we do not know, a
type or size the upload rules refuse) is recorded and passed over: the same entry would
fail again. A *retryable* one (network, HTTP error, a download whose hash or size does
not match) is recorded, the rest of the page is still processed, and the cursor stays
before it, so the next run resumes there; entries processed twice are recognised by
their origin and change nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.aggregation.models import HarvestRun, HarvestSource, Origin, OriginKind, RunState
from eduplus.aggregation.services import instance_id
from eduplus.resources import federation
from eduplus.resources.models import ResourceStatus
from eduplus.resources.uploads import TYPE_RULES, human_size

log = logging.getLogger(__name__)

PAGE_LIMIT = 100
MAX_PAGES = 10_000
MAX_PAGE_BYTES = 20 * 1024 * 1024
MAX_FAILURES_KEPT = 500
TIMEOUT = 30
CHUNK = 64 * 1024


# -------------------------------------------------------------------- transport


class TransportError(Exception):
    """The request did not get an answer (network, timeout, too large)."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    written: int = 0


class Transport(Protocol):
    def get(
        self,
        url: str,
        *,
        headers: dict[str, str],
        dest: Path | None = None,
        max_bytes: int = MAX_PAGE_BYTES,
    ) -> Response:
        """GET ``url``; the body goes to ``dest`` when given (answering ``written``),
        else into ``body``. More than ``max_bytes`` raises TransportError."""
        ...


class UrllibTransport:
    """HTTP(S) with the standard library; no redirects to other hosts are followed."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str],
        dest: Path | None = None,
        max_bytes: int = MAX_PAGE_BYTES,
    ) -> Response:
        request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return _read(answer, answer.status, dest, max_bytes)
        except urllib.error.HTTPError as exc:
            body = exc.read(4096) if exc.fp is not None else b""
            return Response(status=exc.code, body=body)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransportError(_("网络错误：%(e)s") % {"e": reason}) from exc


def _read(answer: Any, status: int, dest: Path | None, max_bytes: int) -> Response:
    total = 0
    if dest is None:
        parts = []
        while chunk := answer.read(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise TransportError(_("响应超过 %(n)s") % {"n": human_size(max_bytes)})
            parts.append(chunk)
        return Response(status=status, body=b"".join(parts))
    with dest.open("wb") as out:
        while chunk := answer.read(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise TransportError(
                    _("文件超过条目声明的大小（%(n)s）") % {"n": human_size(max_bytes)}
                )
            out.write(chunk)
    return Response(status=status, written=total)


# ----------------------------------------------------------------------- entries


class EntryFailed(Exception):
    """An entry that was not processed; ``retry``: the next run tries it again."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry


class PageFailed(Exception):
    """The page could not be read at all (authentication, network, not JSON)."""


@dataclass(frozen=True)
class Entry:
    instance: str
    origin_id: str
    origin_url: str
    cursor: str
    meta: federation.HarvestedMetadata
    sha256: str
    size: int
    file_format: str
    school_name: str
    published_at: dt.datetime | None
    updated_at: dt.datetime | None
    withdrawn: bool
    withdrawn_reason: str
    file_url: str

    @property
    def label(self) -> str:
        return f"{self.instance}/{self.origin_id}"


def _text(raw: dict[str, Any], key: str, limit: int = 2000) -> str:
    value = raw.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def parse_entry(raw: Any) -> Entry:
    """A feed entry checked for the fields we need (EntryFailed, permanent, if not)."""
    if not isinstance(raw, dict):
        raise EntryFailed(_("条目不是 JSON 对象"), retry=False)
    origin = raw.get("origin")
    missing = []
    if not isinstance(origin, dict):
        missing.append("origin")
        origin = {}
    instance = str(origin.get("instance") or "").strip()[:64]
    origin_id = str(origin.get("id") or "").strip()[:64]
    if not instance:
        missing.append("origin.instance")
    if not origin_id:
        missing.append("origin.id")
    withdrawn = raw.get("withdrawn")
    if not isinstance(withdrawn, bool):
        missing.append("withdrawn")
    for key in ("title", "type", "sha256", "format"):
        if not _text(raw, key):
            missing.append(key)
    size = raw.get("size")
    if not isinstance(size, int) or isinstance(size, bool):
        missing.append("size")
    if withdrawn is False and not _text(raw, "file_url"):
        missing.append("file_url")
    if missing:
        raise EntryFailed(_("缺少字段或类型错误：%(f)s") % {"f": ", ".join(missing)}, retry=False)
    sha256 = _text(raw, "sha256").lower()
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise EntryFailed(_("内容指纹（sha256）格式错误"), retry=False)
    assert isinstance(size, int)
    if size <= 0:
        raise EntryFailed(_("文件大小应大于 0"), retry=False)
    catalog: dict[str, Any] = raw["catalog"] if isinstance(raw.get("catalog"), dict) else {}
    topics: list[Any] = raw["topics"] if isinstance(raw.get("topics"), list) else []
    grade = raw.get("grade")
    duration = raw.get("duration_seconds")
    meta = federation.HarvestedMetadata(
        title=_text(raw, "title", 128),
        resource_type=_text(raw, "type", 24),
        description=_text(raw, "description"),
        node_path=str(catalog.get("path") or "")[:255],
        stage=_text(raw, "stage", 16),
        subject=_text(raw, "subject", 16),
        edition=_text(raw, "edition", 16),
        grade=grade if isinstance(grade, int) and not isinstance(grade, bool) else None,
        topic_codes=tuple(
            str(t.get("code"))[:32] for t in topics if isinstance(t, dict) and t.get("code")
        ),
        author_name=_text(raw, "author_name", 64),
        licence=_text(raw, "licence", 24) or "platform",
        duration_seconds=(
            duration if isinstance(duration, int) and not isinstance(duration, bool) else None
        ),
    )
    return Entry(
        instance=instance,
        origin_id=origin_id,
        origin_url=str(origin.get("url") or "")[:500],
        cursor=_text(raw, "cursor", 200),
        meta=meta,
        sha256=sha256,
        size=size,
        file_format=_text(raw, "format", 16).lower(),
        school_name=_text(raw, "school_name", 128),
        published_at=federation.parse_time(raw.get("published_at")),
        updated_at=federation.parse_time(raw.get("updated_at")),
        withdrawn=bool(withdrawn),
        withdrawn_reason=_text(raw, "withdrawn_reason", 900),
        file_url=_text(raw, "file_url", 1000),
    )


# -------------------------------------------------------------------------- run

CREATED, UPDATED, UNCHANGED, DUPLICATE, OWN, WITHDRAWN = (
    "created",
    "updated",
    "unchanged",
    "skipped_duplicate",
    "skipped_own",
    "withdrawn",
)


@dataclass
class Harvester:
    run: HarvestRun
    transport: Transport
    ours: str = ""

    @property
    def source(self) -> HarvestSource:
        return self.run.source

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.source.token}",
            "Accept": "application/json",
            "User-Agent": "EduPlus-harvester/1",
        }

    # ------------------------------------------------------------------ pages

    def page_url(self, cursor: str) -> str:
        query = urlencode({"limit": PAGE_LIMIT, **({"since": cursor} if cursor else {})})
        base = self.source.base_url
        return f"{base}{'&' if '?' in base else '?'}{query}"

    def fetch_page(self, cursor: str) -> dict[str, Any]:
        try:
            answer = self.transport.get(self.page_url(cursor), headers=self.headers())
        except TransportError as exc:
            raise PageFailed(str(exc)) from exc
        if answer.status in (401, 403):
            raise PageFailed(
                _("对方平台拒绝了访问令牌（HTTP %(s)d），请检查令牌是否有效") % {"s": answer.status}
            )
        if answer.status != 200:
            raise PageFailed(_("对方平台返回 HTTP %(s)d") % {"s": answer.status})
        try:
            page = json.loads(answer.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PageFailed(_("返回的内容不是有效的 JSON")) from exc
        if not isinstance(page, dict) or not isinstance(page.get("entries"), list):
            raise PageFailed(_("返回的 JSON 缺少 entries 列表"))
        if page.get("instance") == self.ours:
            raise PageFailed(_("订阅地址指向本平台自身，已停止"))
        return page

    # --------------------------------------------------------------------- run

    def execute(self) -> HarvestRun:
        run = self.run
        self.ours = instance_id()
        run.state = RunState.RUNNING
        run.started_at = timezone.now()
        run.cursor_before = self.source.cursor
        run.save(update_fields=["state", "started_at", "cursor_before"])
        cursor = self.source.cursor
        blocked = False
        try:
            for _page_no in range(MAX_PAGES):
                page = self.fetch_page(cursor)
                run.pages += 1
                advance, blocked = self.process_page(page["entries"], cursor)
                next_cursor = str(page.get("next") or "")
                if not blocked and next_cursor:
                    advance = next_cursor
                progressed = advance != cursor
                cursor = advance
                self.save_progress(cursor)
                if blocked or not page.get("has_more") or not progressed:
                    break
        except PageFailed as exc:
            run.error = str(exc)[:1000]
            self.finish(RunState.FAILED, cursor)
            return run
        except Exception as exc:  # an unexpected bug must not leave the run "running"
            log.exception("harvest run %s crashed", run.pk)
            run.error = (_("内部错误：%(e)s") % {"e": exc})[:1000]
            self.finish(RunState.FAILED, cursor)
            raise
        self.finish(RunState.PARTIAL if run.failed else RunState.SUCCEEDED, cursor)
        return run

    def process_page(self, raws: list[Any], cursor: str) -> tuple[str, bool]:
        """Process every entry of a page; answer the cursor we may advance to and
        whether a retryable failure holds it back."""
        advance = cursor
        blocked = False
        for raw in raws:
            entry: Entry | None = None
            try:
                entry = parse_entry(raw)
                outcome = self.process(entry)
            except EntryFailed as exc:
                self.fail(raw, entry, exc)
                if exc.retry:
                    blocked = True
                    continue
            else:
                setattr(self.run, outcome, getattr(self.run, outcome) + 1)
            entry_cursor = (
                entry.cursor if entry else (raw.get("cursor") if isinstance(raw, dict) else "")
            )
            if not blocked and isinstance(entry_cursor, str) and entry_cursor:
                advance = entry_cursor
        return advance, blocked

    def fail(self, raw: Any, entry: Entry | None, exc: EntryFailed) -> None:
        self.run.failed += 1
        if len(self.run.failures) >= MAX_FAILURES_KEPT:
            return
        title = entry.meta.title if entry else (raw.get("title") if isinstance(raw, dict) else "")
        origin = entry.label if entry else ""
        if not origin and isinstance(raw, dict) and isinstance(raw.get("origin"), dict):
            o = raw["origin"]
            origin = f"{o.get('instance', '')}/{o.get('id', '')}"
        self.run.failures.append(
            {
                "origin": str(origin)[:140],
                "title": str(title or "")[:128],
                "reason": exc.reason[:500],
                "retry": exc.retry,
            }
        )

    def save_progress(self, cursor: str) -> None:
        self.run.cursor_after = cursor
        self.run.save()
        HarvestSource.objects.filter(pk=self.source.pk).update(cursor=cursor)
        self.source.cursor = cursor

    def finish(self, state: str, cursor: str) -> None:
        run = self.run
        run.state = state
        run.finished_at = timezone.now()
        run.cursor_after = cursor
        run.save()
        HarvestSource.objects.filter(pk=self.source.pk).update(
            last_run_at=run.finished_at, last_state=state
        )

    # ----------------------------------------------------------------- entries

    def process(self, entry: Entry) -> str:
        if entry.instance == self.ours:
            return OWN
        origin = (
            Origin.objects.select_related("resource")
            .filter(origin_instance=entry.instance, origin_id=entry.origin_id)
            .first()
        )
        if origin is not None:
            # Only the source that brought it in keeps it up to date: two sources of
            # the same origin (A directly and via B) would otherwise take turns.
            if origin.kind == OriginKind.MATCHED or origin.source_id not in (None, self.source.pk):
                Origin.objects.filter(pk=origin.pk).update(last_seen_at=timezone.now())
                return DUPLICATE
            return self.sync(origin, entry)
        if entry.withdrawn:
            return UNCHANGED  # never had it, nothing to withdraw
        existing = federation.resource_with_sha256(entry.sha256)
        if existing is not None:
            self.link(existing, entry)
            return DUPLICATE
        return self.create(entry)

    def link(self, resource: Any, entry: Entry) -> None:
        """The same file is already here: remember the origin, copy nothing."""
        if Origin.objects.filter(resource=resource).exists():
            return
        try:
            with transaction.atomic():
                Origin.objects.create(
                    resource=resource,
                    kind=OriginKind.MATCHED,
                    **self.origin_fields(entry),
                )
        except IntegrityError:
            pass

    def origin_fields(self, entry: Entry) -> dict[str, Any]:
        return {
            "origin_instance": entry.instance,
            "origin_id": entry.origin_id,
            "origin_url": entry.origin_url if entry.origin_url.startswith("http") else "",
            "origin_school": entry.school_name,
            "origin_updated_at": entry.updated_at,
            "origin_published_at": entry.published_at,
            "source": self.source,
            "last_seen_at": timezone.now(),
        }

    def create(self, entry: Entry) -> str:
        meta = entry.meta
        if meta.resource_type not in TYPE_RULES:
            raise EntryFailed(_("未知的资源类型“%(t)s”") % {"t": meta.resource_type}, retry=False)
        if entry.file_format not in TYPE_RULES[meta.resource_type][0]:
            raise EntryFailed(
                _("“%(f)s”格式不能作为该类型的资源") % {"f": entry.file_format}, retry=False
            )
        limit = federation.harvest_size_limit(meta.resource_type)
        if entry.size > limit:
            raise EntryFailed(
                _("文件过大：%(s)s，上限 %(l)s")
                % {"s": human_size(entry.size), "l": human_size(limit)},
                retry=False,
            )
        if not self.same_site(entry.file_url):
            raise EntryFailed(_("文件地址不在订阅地址所在的站点，出于安全考虑不下载"), retry=False)
        tmp_dir = Path(settings.VAR_DIR) / "aggregation" / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=tmp_dir) as work:
            path = Path(work) / f"download.{entry.file_format}"
            try:
                answer = self.transport.get(
                    entry.file_url, headers=self.headers(), dest=path, max_bytes=entry.size
                )
            except TransportError as exc:
                raise EntryFailed(str(exc), retry=True) from exc
            if answer.status != 200:
                raise EntryFailed(
                    _("下载文件失败（HTTP %(s)d）") % {"s": answer.status}, retry=True
                )
            try:
                with transaction.atomic():
                    resource = federation.resource_harvest_create(
                        meta=meta,
                        path=path,
                        file_format=entry.file_format,
                        expected_sha256=entry.sha256,
                        expected_size=entry.size,
                        school=self.source.school,
                        region=self.source.region,
                        publish=self.source.trusted,
                        label=self.source.name,
                        actor=self.run.started_by,
                    )
                    Origin.objects.create(
                        resource=resource, kind=OriginKind.HARVESTED, **self.origin_fields(entry)
                    )
            except ValidationError as exc:
                reason = "；".join(exc.messages)
                # A download that does not match its entry may be a broken transfer.
                retry = "file" in getattr(exc, "error_dict", {}) and (
                    "指纹" in reason or "大小不符" in reason
                )
                raise EntryFailed(reason, retry=retry) from exc
        return CREATED

    def same_site(self, url: str) -> bool:
        a, b = urlsplit(url), urlsplit(self.source.base_url)
        return a.scheme in ("http", "https") and (a.scheme, a.netloc) == (b.scheme, b.netloc)

    def sync(self, origin: Origin, entry: Entry) -> str:
        resource = origin.resource
        label = self.source.name
        actor = self.run.started_by
        result = UNCHANGED
        try:
            if entry.withdrawn:
                if resource.status != ResourceStatus.WITHDRAWN:
                    federation.resource_harvest_withdraw(
                        resource=resource, reason=entry.withdrawn_reason, label=label, actor=actor
                    )
                    origin.withdrawn_upstream = True
                    result = WITHDRAWN
            else:
                newer = entry.updated_at is not None and (
                    origin.origin_updated_at is None or entry.updated_at > origin.origin_updated_at
                )
                if newer and federation.resource_harvest_update(
                    resource=resource, meta=entry.meta, label=label, actor=actor
                ):
                    result = UPDATED
                if origin.withdrawn_upstream and resource.status == ResourceStatus.WITHDRAWN:
                    federation.resource_harvest_restore(
                        resource=resource, publish=self.source.trusted, label=label, actor=actor
                    )
                    origin.withdrawn_upstream = False
                    result = UPDATED
        except ValidationError as exc:
            raise EntryFailed("；".join(exc.messages), retry=False) from exc
        if entry.updated_at is not None and (
            origin.origin_updated_at is None or entry.updated_at > origin.origin_updated_at
        ):
            origin.origin_updated_at = entry.updated_at
        if entry.origin_url.startswith("http"):
            origin.origin_url = entry.origin_url
        origin.origin_school = entry.school_name or origin.origin_school
        origin.last_seen_at = timezone.now()
        origin.save()
        return result


def run_harvest(run: HarvestRun, *, transport: Transport | None = None) -> HarvestRun:
    """Execute a queued run (the background task and the CLI call this)."""
    run = HarvestRun.objects.select_related("source", "source__school", "source__region").get(
        pk=run.pk
    )
    return Harvester(run=run, transport=transport or UrllibTransport()).execute()
