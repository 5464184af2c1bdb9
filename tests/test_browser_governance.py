"""Data governance in a real browser: the data steward imports three messy sources,
sees every error explained, follows a golden value back to its file row and sees
quality; a county officer asks to share data; the steward approves; the token reads
only what was approved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from eduplus.governance.demo import sample_files
from eduplus.governance.models import GoldenRecord, ImportBatch, SourceSystem
from eduplus.testing.database import (  # noqa: F401 - autouse fixtures
    flushable_database,
    shared_database_restored,
)
from eduplus.testing.factories import DEMO_PASSWORD
from tests.browser_util import Shots, submit_login

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.usefixtures("async_unsafe_allowed"),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

MIME = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def new_page(browser: Any) -> Any:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(30_000)
    return context.new_page()


def test_steward_imports_resolves_traces_and_shares(world, live_server, browser):
    shot = Shots("governance")
    files = [f for f in sample_files(seed=11) if f[0] in ("xueji", "zizhu", "tizhi")]
    assert len(files) == 3, "the sample generator gives the three student sources"
    page = new_page(browser)
    page.goto(f"{live_server.url}/login/")
    submit_login(page, world.data_steward.username, DEMO_PASSWORD)
    page.get_by_role("link", name="数据治理").first.click()
    expect(page.locator('[data-testid="empty"]')).to_contain_text("还没有导入任何来源数据")
    shot(page, "home-empty")

    for code, name, content in files:
        page.goto(f"{live_server.url}/data/batches/")
        upload = page.locator('[data-testid="upload"]')
        source = SourceSystem.objects.get(code=code)
        upload.locator("select[name=source]").select_option(str(source.pk))
        suffix = "." + name.rsplit(".", 1)[-1]
        upload.locator("input[type=file]").set_input_files(
            {"name": name, "mimeType": MIME.get(suffix, "text/csv"), "buffer": content}
        )
        upload.get_by_role("button", name="上传并导入").click()
        expect(page.locator("h1")).to_contain_text(name)
        expect(page.locator('[data-testid="actions"]')).to_contain_text("回滚本批次")
        batch = ImportBatch.objects.get(file_name=name)
        # Nothing dropped silently: read = accepted + rejected, shown on the page.
        assert batch.rows_read == batch.rows_accepted + batch.rows_rejected > 0
        facts = page.locator("body")
        expect(facts).to_contain_text(f"{batch.rows_read:,}")
        if batch.rows_rejected or batch.rows_suspicious:
            rows = page.locator('[data-testid="rows"]')
            expect(rows).to_be_visible()
            with page.expect_download() as download_info:
                page.locator('[data-testid="report"]').click()
            assert download_info.value.suggested_filename.endswith(".xlsx")
        shot(page, f"batch-{code}")

    # The batches were resolved in the background once they committed.
    assert GoldenRecord.objects.exists()
    page.goto(f"{live_server.url}/data/")
    expect(page.locator('[data-testid="overview"]')).to_be_visible()
    shot(page, "home")

    # One golden person, the trail of every value back to its file row.
    multi = GoldenRecord.objects.filter(source_count__gt=1).order_by("person_id").first()
    assert multi is not None, "some children appear in several sources"
    page.goto(f"{live_server.url}/data/persons/")
    expect(page.locator('[data-testid="persons"]')).to_be_visible()
    page.goto(f"{live_server.url}/data/persons/{multi.person_id}/")
    trail = page.locator('[data-testid="trail"]')
    expect(trail).to_contain_text("第")
    expect(trail).to_contain_text("权威")
    expect(page.locator('[data-testid="records"] tbody tr')).to_have_count(multi.record_count)
    shot(page, "trail")
    trail.locator("tr[data-item=name] a").click()
    expect(page.locator("h1")).to_contain_text("批次")
    shot(page, "value-to-batch")

    page.goto(f"{live_server.url}/data/quality/")
    expect(page.locator("h1")).to_contain_text("质量")
    shot(page, "quality")
    page.goto(f"{live_server.url}/data/lineage/")
    shot(page, "lineage")
    page.context.close()

    # A county officer asks for students' grades and names in their county.
    officer = new_page(browser)
    officer.goto(f"{live_server.url}/login/")
    submit_login(officer, world.a.users["county_officer"].username, DEMO_PASSWORD)
    officer.goto(f"{live_server.url}/data/shares/new/?dataset=golden:students")
    form = officer.locator('[data-testid="share-create"]')
    form.locator("#id_organisation").fill("中原区卫生健康委员会")
    for field in ("golden_id", "name", "grade"):
        form.locator(f"#f-{field}").check()
    form.locator("#id_purpose").fill("学生常见病监测，按年级统计")
    today = dt.date.today()
    form.locator("#id_starts_on").fill(today.isoformat())
    form.locator("#id_ends_on").fill((today + dt.timedelta(days=90)).isoformat())
    shot(officer, "share-request")
    form.locator("button[type=submit]").click()
    expect(officer.locator("h1")).to_contain_text("共享申请")
    share_url = officer.url
    officer.context.close()

    # The steward approves, narrowing nothing; the token is shown once.
    steward = new_page(browser)
    steward.goto(f"{live_server.url}/login/")
    submit_login(steward, world.data_steward.username, DEMO_PASSWORD)
    steward.goto(f"{live_server.url}/data/shares/review/")
    steward.locator("table a").first.click()
    steward.locator('[data-testid="approve"]').click()
    token = steward.locator('[data-testid="raw-token"]').inner_text().strip()
    assert token.startswith("eps_")
    shot(steward, "token")
    answer = steward.request.get(
        f"{live_server.url}/api/share/v1/records?size=200",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.ok, answer.text()
    items = answer.json()["items"]
    for item in items:
        assert set(item) <= {"golden_id", "name", "grade"}
        assert "*" in item["name"]  # a minor's name stays masked: not approved in clear
    denied = steward.request.get(
        f"{live_server.url}/api/share/v1/records",
        headers={"Authorization": "Bearer eps_not-a-token"},
    )
    assert denied.status == 401
    assert share_url
    steward.context.close()
