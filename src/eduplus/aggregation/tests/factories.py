"""Aggregation objects for tests and the scope walk (tests/test_scope_walk.py), and a
fake transport that serves feed pages and files from memory."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from eduplus.aggregation import services
from eduplus.aggregation.harvest import Response, TransportError
from eduplus.aggregation.models import FeedToken, HarvestRun, HarvestSource, RunState
from eduplus.testing import factories as f

FEED = "https://other.example.cn/aggregation/feed/v1/resources"
FILES = "https://other.example.cn/aggregation/feed/v1/files/"
OTHER = "eduplus-other-instance"


def walk_school() -> Any:
    from eduplus.schools.models import School

    school = School.objects.filter(name="汇聚走查承接学校").first()
    return school or f.SchoolFactory(name="汇聚走查承接学校", region=f.region("410105"))


def walk_source(county: Any = None) -> HarvestSource:
    """A province-wide source (region 41): the province officer's, nobody else's."""
    source = HarvestSource.objects.filter(name="走查汇聚来源").first()
    if source is None:
        source = HarvestSource.objects.create(
            name="走查汇聚来源",
            base_url=FEED,
            token="epf_walk",
            region=f.region("41"),
            school=walk_school(),
            trusted=True,
        )
    return source


def walk_run(county: Any = None) -> HarvestRun:
    source = walk_source()
    run = source.runs.first()
    if run is None:
        run = HarvestRun.objects.create(
            source=source,
            state=RunState.PARTIAL,
            pages=1,
            created=1,
            failed=1,
            failures=[
                {"origin": f"{OTHER}/9", "title": "走查条目", "reason": "缺少字段", "retry": False}
            ],
        )
    return run


def walk_token(county: Any = None) -> FeedToken:
    token = FeedToken.objects.filter(subscriber="走查订阅方").first()
    if token is None:
        token = FeedToken.objects.create(
            subscriber="走查订阅方",
            region=f.region("41"),
            prefix="epf_walk0000",
            token_sha256=hashlib.sha256(b"walk").hexdigest(),
        )
    return token


def source(*, trusted: bool = True, region: str = "410102", **kwargs: Any) -> HarvestSource:
    school = kwargs.pop("school", None) or f.SchoolFactory(
        name="汇聚承接学校", region=f.region(region)
    )
    return HarvestSource.objects.create(
        name=kwargs.pop("name", "对方平台"),
        base_url=kwargs.pop("base_url", FEED),
        token=kwargs.pop("token", "epf_secret"),
        region=f.region(region),
        school=school,
        trusted=trusted,
        **kwargs,
    )


# ------------------------------------------------------------------ fake feed


def pdf(text: str) -> bytes:
    return b"%PDF-1.4\n%" + text.encode() + b"\n%%EOF\n"


_stamp = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def entry(
    origin_id: str,
    content: bytes | None = None,
    *,
    instance: str = OTHER,
    minute: int = 0,
    title: str | None = None,
    withdrawn: bool = False,
    **overrides: Any,
) -> dict[str, Any]:
    """A feed entry as another EduPlus would publish it (its file from :func:`pdf`)."""
    content = content if content is not None else pdf(f"file {origin_id}")
    updated = _stamp + dt.timedelta(minutes=minute)
    data: dict[str, Any] = {
        "origin": {
            "instance": instance,
            "id": origin_id,
            "url": f"https://other.example.cn/resources/{origin_id}/",
        },
        "cursor": f"c-{minute:04d}-{origin_id}",
        "title": title or f"勾股定理 汇聚 {origin_id}",
        "description": "来自其他平台",
        "type": "courseware",
        "stage": "junior",
        "subject": "math",
        "edition": "renjiao",
        "grade": 8,
        "catalog": {"path": "junior/math/renjiao/8/down/c2/s1", "nodes": []},
        "topics": [],
        "author_name": "李老师",
        "school_name": "开封市第一中学",
        "licence": "cc-by-4.0",
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "format": "pdf",
        "mime": "application/pdf",
        "duration_seconds": None,
        "published_at": updated.isoformat(),
        "updated_at": updated.isoformat(),
        "withdrawn": withdrawn,
        "withdrawn_reason": "内容过时" if withdrawn else "",
        "file_url": "" if withdrawn else f"{FILES}{origin_id}",
    }
    data.update(overrides)
    return data


@dataclass
class FakeFeed:
    """Serves ``entries`` as feed pages (cursor = entry cursor) and ``files`` by URL.

    ``fail_files``: file URLs that raise a network error; ``status``: the HTTP status of
    every page (401 …); ``raw_page``: a body served instead of the JSON.
    """

    entries: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    token: str = "epf_secret"
    instance: str = OTHER
    fail_files: set[str] = field(default_factory=set)
    status: int = 200
    raw_page: bytes | None = None
    limit: int = 2
    requests: list[str] = field(default_factory=list)

    def add(self, data: dict[str, Any], content: bytes | None = None) -> dict[str, Any]:
        self.entries.append(data)
        if data.get("file_url"):
            self.files[data["file_url"]] = (
                content
                if content is not None
                else pdf(f"file {data['file_url'].rsplit('/', 1)[-1]}")
            )
        return data

    def get(
        self,
        url: str,
        *,
        headers: dict[str, str],
        dest: Path | None = None,
        max_bytes: int = 0,
    ) -> Response:
        self.requests.append(url)
        if headers.get("Authorization") != f"Bearer {self.token}":
            return Response(status=401, body=b'{"error": "bad token"}')
        if url.startswith(FILES):
            if url in self.fail_files:
                raise TransportError("网络错误：connection reset")
            content = self.files.get(url)
            if content is None:
                return Response(status=404)
            if dest is None:
                return Response(status=200, body=content)
            if len(content) > max_bytes:
                raise TransportError("文件超过条目声明的大小")
            dest.write_bytes(content)
            return Response(status=200, written=len(content))
        if self.status != 200:
            return Response(status=self.status, body=b"{}")
        if self.raw_page is not None:
            return Response(status=200, body=self.raw_page)
        since = parse_qs(urlsplit(url).query).get("since", [""])[0]
        ordered = sorted(self.entries, key=lambda e: e["cursor"])
        after = [e for e in ordered if e["cursor"] > since]
        page = after[: self.limit]
        body = {
            "version": 1,
            "instance": self.instance,
            "entries": page,
            "next": page[-1]["cursor"] if page else since,
            "has_more": len(after) > len(page),
        }
        return Response(status=200, body=json.dumps(body, ensure_ascii=False).encode())


def run(src: HarvestSource, transport: Any, actor: Any = None) -> HarvestRun:
    from eduplus.aggregation.harvest import run_harvest

    queued = services.harvest_start(actor=actor, source=src, trigger="test")
    return run_harvest(queued, transport=transport)
