"""Two real EduPlus installations (issue #5, 一点接入、全省共享).

A second installation runs in its own process, with its own var directory, SQLite
database and instance id. It publishes a resource and issues a feed token. This
installation (the test database, SQLite or PostgreSQL) harvests it over HTTP:

- twice, and finds exactly one resource, linked to its origin and searchable;
- after the upstream withdraws it, once more, and finds it withdrawn here too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eduplus.aggregation.harvest import UrllibTransport, run_harvest
from eduplus.aggregation.models import HarvestSource, Origin, OriginKind, RunState
from eduplus.aggregation.services import harvest_start
from eduplus.resources.models import Resource, ResourceStatus
from eduplus.resources.selectors import SearchFilters, search_resources
from eduplus.testing import factories as f

UPSTREAM_ID = "eduplus-upstream-test"

PUBLISH = """
from django.core.files.uploadedfile import SimpleUploadedFile
from eduplus.aggregation.services import feed_token_issue
from eduplus.resources import services
from eduplus.resources.tests.factories import meta, passed
from eduplus.testing import factories as f

school = f.SchoolFactory(name="上游实验中学", region=f.region("410105"))
person = f.PersonFactory(name="上游教师")
f.TeacherFactory(school=school, person=person)
teacher = f.user_with_role("teacher", school=school, person=person)
admin = f.user_with_role("school_admin", school=school)
officer = f.user_with_role("county_officer", region="410105", username="upstream-county")
province = f.user_with_role("province_officer", region="41")
upload = SimpleUploadedFile("勾股定理.pdf", b"%PDF-1.4\\n%upstream federation file\\n%%EOF\\n")
r = services.resource_upload(actor=teacher, upload=upload, meta=meta("勾股定理 上游课件"))
services.resource_school_review(actor=admin, resource=r, approve=True)
services.resource_county_review(actor=officer, resource=r, checks=passed())
_token, raw = feed_token_issue(actor=province, subscriber="测试安装")
print("RESULT", r.pk, raw)
"""

WITHDRAW = """
from eduplus.accounts.models import User
from eduplus.resources import services
from eduplus.resources.models import Resource

r = Resource.objects.get(pk={pk})
officer = User.objects.get(username="upstream-county")
services.resource_withdraw(actor=officer, resource=r, reason="教材已更新，资源下架")
print("RESULT withdrawn")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Upstream:
    """The second installation: its own process, var directory and database."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "EDUPLUS_TEST_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
            and not k.startswith("PYTEST")
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="eduplus.settings",
            EDUPLUS_VAR_DIR=str(root / "var"),
            EDUPLUS_SQLITE_PATH=str(root / "upstream.sqlite3"),
            EDUPLUS_INSTANCE_ID=UPSTREAM_ID,
            EDUPLUS_TASKS_IMMEDIATE="1",
            EDUPLUS_ALLOWED_HOSTS="127.0.0.1,localhost",
        )
        self.server: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def eduplus(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "eduplus", *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        out = done.stdout.decode("utf-8", "replace")
        assert done.returncode == 0, f"eduplus {args[0]} failed:\n{out}\n{done.stderr.decode()}"
        return out

    def shell(self, script: str) -> list[str]:
        out = self.eduplus("shell", "-c", script)
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        assert lines, out
        return lines[-1].split()[1:]

    def start(self) -> None:
        log = (self.root / "server.log").open("wb")
        self.server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "eduplus.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            env=self.env,
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise AssertionError((self.root / "server.log").read_text("utf-8", "replace"))
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the second installation did not start within 60 s")

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=10)


@pytest.fixture
def upstream(tmp_path_factory: Any) -> Iterator[Upstream]:
    node = Upstream(tmp_path_factory.mktemp("upstream"))
    try:
        node.eduplus("migrate", "--noinput", "-v0")
        yield node
    finally:
        node.stop()


def _harvest(source: HarvestSource) -> Any:
    run = harvest_start(actor=None, source=source, trigger="test")
    return run_harvest(run, transport=UrllibTransport(timeout=30))


@pytest.mark.django_db
def test_a_second_installation_is_harvested_without_duplicates(upstream: Upstream) -> None:
    pk, token = upstream.shell(PUBLISH)
    upstream.start()

    # Anonymous callers are refused by the other installation.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{upstream.base}/aggregation/feed/v1/resources", timeout=10)  # noqa: S310
    assert refused.value.code == 401

    school = f.SchoolFactory(name="汇聚承接学校", region=f.region("410102"))
    source = HarvestSource.objects.create(
        name="上游平台",
        base_url=f"{upstream.base}/aggregation/feed/v1/resources",
        token=token,
        region=f.region("410102"),
        school=school,
        trusted=True,
    )
    first = _harvest(source)
    assert first.state == RunState.SUCCEEDED, (first.error, first.failures)
    assert first.created == 1

    second = _harvest(source)
    assert second.state == RunState.SUCCEEDED, (second.error, second.failures)
    assert (second.created, second.updated, second.failed) == (0, 0, 0)
    # From the very beginning again: recognised by its origin, still one resource.
    HarvestSource.objects.filter(pk=source.pk).update(cursor="")
    source.refresh_from_db()
    third = _harvest(source)
    assert (third.created, third.unchanged) == (0, 1)

    assert Resource.objects.count() == 1
    resource = Resource.objects.get()
    origin = Origin.objects.get(resource=resource)
    assert origin.kind == OriginKind.HARVESTED
    assert (origin.origin_instance, origin.origin_id) == (UPSTREAM_ID, pk)
    assert origin.origin_url == f"{upstream.base}/resources/{pk}/"
    assert origin.origin_school == "上游实验中学"
    assert resource.status == ResourceStatus.PUBLISHED
    assert resource.file.read().startswith(b"%PDF-1.4\n%upstream federation file")

    reader = f.user_with_role("teacher", school=school)
    found = search_resources(reader, SearchFilters(q="勾股"))
    assert [r.pk for r in found.items] == [resource.pk]

    upstream.shell(WITHDRAW.format(pk=pk))
    fourth = _harvest(source)
    assert fourth.state == RunState.SUCCEEDED, (fourth.error, fourth.failures)
    assert fourth.withdrawn == 1
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.WITHDRAWN
    assert "教材已更新" in resource.status_reason
    assert not search_resources(reader, SearchFilters(q="勾股")).items
    assert Resource.objects.count() == 1
