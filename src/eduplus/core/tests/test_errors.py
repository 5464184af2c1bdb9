"""The page of an unexpected error, and of a database busy writing a big batch."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver, path

from eduplus.core.views import server_error
from eduplus.people.models import Person
from eduplus.testing.database import (  # noqa: F401 - fixtures: restores after flushes
    committed_db,
    shared_database_restored,
)


def _locked(request: HttpRequest) -> HttpResponse:
    raise OperationalError("database is locked")


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def _write(request: HttpRequest) -> HttpResponse:
    Person.objects.create(name="写入测试")
    return HttpResponse("saved")


urlpatterns = [
    path("locked/", _locked),
    path("broken/", _broken),
    path("write/", _write),
    path("api/locked/", _locked),
]
handler500 = "eduplus.core.views.server_error"


@pytest.fixture
def plain_client(client: Any) -> Any:
    client.raise_request_exception = False  # answered by handler500, as in production
    return client


def test_the_platform_answers_errors_with_its_own_page() -> None:
    assert get_resolver().resolve_error_handler(500) is server_error


@pytest.mark.urls(__name__)
def test_a_busy_database_asks_to_retry_in_chinese(db: Any, plain_client: Any) -> None:
    response = plain_client.get("/locked/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    text = response.content.decode()
    assert "系统正在写入一批数据" in text and "没有丢失任何已有数据" in text
    assert 'lang="zh-CN"' in text


@pytest.mark.urls(__name__)
def test_the_busy_page_follows_the_chosen_language(db: Any, plain_client: Any) -> None:
    plain_client.cookies["django_language"] = "en"
    response = plain_client.get("/locked/")
    assert response.status_code == 503
    text = response.content.decode()
    assert 'lang="en"' in text and "writing a batch of data" in text


@pytest.mark.urls(__name__)
def test_other_errors_are_a_plain_500_without_details(db: Any, plain_client: Any) -> None:
    response = plain_client.get("/broken/")
    assert response.status_code == 500 and "Retry-After" not in response
    text = response.content.decode()
    assert "服务器出错了" in text and "boom" not in text  # nothing of the error leaks


@pytest.mark.urls(__name__)
def test_the_api_answers_json(db: Any, plain_client: Any) -> None:
    response = plain_client.get("/api/locked/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {"detail": "数据库正在写入一批数据，请约半分钟后重试"}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's single writer")
@pytest.mark.urls(__name__)
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_db")
def test_a_write_while_another_connection_holds_the_lock_gets_the_busy_page(
    plain_client: Any,
) -> None:
    """A real lock: another connection writing (as a big import does) past the busy
    timeout; the request's write fails, is answered 503 and saves nothing."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(str(connection.settings_dict["NAME"]), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # the write lock, held
        response = plain_client.get("/write/")
        assert response.status_code == 503 and response["Retry-After"] == "30"
    finally:
        other.execute("ROLLBACK")
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 20000")
    assert not Person.objects.filter(name="写入测试").exists()
    assert plain_client.get("/write/").status_code == 200  # the lock gone, it saves
