"""The learning-record store: validation, client scope, idempotent PUT, voiding, audit."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from eduplus.core.models import AuditEntry
from eduplus.resources.signals import resource_event
from eduplus.resources.tests.factories import public_resource
from eduplus.spaces import services, xapi
from eduplus.spaces.models import Statement
from eduplus.spaces.tests.factories import lrs_client

URL = "/spaces/xapi/statements"
SECRET = "s3cret-for-tests"


def basic(client_obj: Any, secret: str = SECRET) -> dict[str, str]:
    token = base64.b64encode(f"{client_obj.key}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}", "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}


def agent_of(user: Any) -> dict[str, Any]:
    return services.agent_for(user)


def statement(user: Any, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "actor": agent_of(user),
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"zh-CN": "完成"}},
        "object": {
            "id": "https://course.example.cn/math/fractions",
            "definition": {"name": {"zh-CN": "分数的初步认识"}},
        },
        "result": {"score": {"raw": 8, "min": 0, "max": 10}, "completion": True},
        "timestamp": "2026-10-12T09:00:00+08:00",
    }
    body.update(changes)
    return body


def post(http: Any, payload: Any, headers: dict[str, str]) -> Any:
    return http.post(URL, data=json.dumps(payload), content_type="application/json", **headers)


def student(world: Any, key: str = "a") -> Any:
    return getattr(world, key).users["student"]


BAD: list[tuple[str, Any, str]] = [
    ("not an object", [1], "statements[0]"),
    ("empty array", [], "statements"),
    ("unknown property", {"foo": 1}, "statement.foo"),
    ("missing actor", {"actor": None}, "statement.actor"),
    ("actor two identifiers", {"actor": {"mbox": "mailto:a@b.cn", "openid": "http://x.cn/a"}},
     "statement.actor"),
    ("actor group", {"actor": {"objectType": "Group", "mbox": "mailto:a@b.cn"}},
     "statement.actor.objectType"),
    ("bad mbox", {"actor": {"mbox": "a@b.cn"}}, "statement.actor.mbox"),
    ("bad sha1", {"actor": {"mbox_sha1sum": "xyz"}}, "statement.actor.mbox_sha1sum"),
    ("account homePage", {"actor": {"account": {"homePage": "nope", "name": "x"}}},
     "statement.actor.account.homePage"),
    ("account name", {"actor": {"account": {"homePage": "http://a.cn", "name": ""}}},
     "statement.actor.account.name"),
    ("verb id", {"verb": {"id": "completed"}}, "statement.verb.id"),
    ("verb display", {"verb": {"id": "http://a.cn/v", "display": {"中文": "x"}}},
     "statement.verb.display.中文"),
    ("object id", {"object": {"id": "not an iri"}}, "statement.object.id"),
    ("object type", {"object": {"objectType": "SubStatement"}}, "statement.object.objectType"),
    ("score scaled", {"result": {"score": {"scaled": 2}}}, "statement.result.score.scaled"),
    ("score raw", {"result": {"score": {"raw": 11, "min": 0, "max": 10}}},
     "statement.result.score.raw"),
    ("success", {"result": {"success": "yes"}}, "statement.result.success"),
    ("duration", {"result": {"duration": "90 minutes"}}, "statement.result.duration"),
    ("registration", {"context": {"registration": "abc"}}, "statement.context.registration"),
    ("timestamp", {"timestamp": "yesterday"}, "statement.timestamp"),
    ("future", {"timestamp": "2099-01-01T00:00:00Z"}, "statement.timestamp"),
    ("id", {"id": "123"}, "statement.id"),
    ("version", {"version": "2.0.0"}, "statement.version"),
    ("void needs ref", {"verb": {"id": xapi.VOIDED_VERB}}, "statement.object.objectType"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("label", "change", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_statements_are_refused_naming_the_field_and_nothing_is_stored(
    world, client, label, change, field
):
    lrs = lrs_client(world.a)
    if isinstance(change, dict):
        payload: Any = statement(student(world), **change)
        payload = {k: v for k, v in payload.items() if v is not None}
    else:
        payload = change
    response = post(client, payload, basic(lrs))
    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert response.json()["error"]
    assert not Statement.objects.exists()


@pytest.mark.django_db
def test_a_batch_with_one_bad_statement_stores_nothing(world, client):
    lrs = lrs_client(world.a)
    good = statement(student(world))
    bad = statement(student(world), verb={"id": "nope"})
    response = post(client, [good, good, bad], basic(lrs))
    assert response.status_code == 400
    assert response.json()["field"] == "statements[2].verb.id"
    assert not Statement.objects.exists()


@pytest.mark.django_db
def test_headers_and_credentials(world, client):
    lrs = lrs_client(world.a)
    headers = basic(lrs)
    no_version = {"HTTP_AUTHORIZATION": headers["HTTP_AUTHORIZATION"]}
    response = post(client, statement(student(world)), no_version)
    assert response.status_code == 400
    assert response.json()["field"] == "X-Experience-API-Version"
    response = post(
        client, statement(student(world)), {**headers, "HTTP_X_EXPERIENCE_API_VERSION": "0.95"}
    )
    assert response.status_code == 400
    response = post(client, statement(student(world)), basic(lrs, "wrong"))
    assert response.status_code == 401
    assert "Basic" in response["WWW-Authenticate"]
    assert client.get(URL).status_code == 401
    assert not Statement.objects.exists()


@pytest.mark.django_db
def test_client_stores_and_reads_only_its_region_and_every_read_is_audited(world, client):
    lrs_a, lrs_b = lrs_client(world.a), lrs_client(world.b)
    response = post(client, [statement(student(world)), statement(student(world))], basic(lrs_a))
    assert response.status_code == 200, response.content
    ids = response.json()
    assert len(ids) == 2
    stored = Statement.objects.get(id=ids[0])
    assert stored.region_id == "410102"
    assert stored.school_id == world.a.school.pk
    assert stored.person_id == world.a.student.person_id
    assert stored.user == student(world)
    assert stored.month == "2026-10" and stored.school_year == 2026
    # The agent is pseudonymous: no name, no ID number.
    text = json.dumps(stored.actor, ensure_ascii=False)
    assert "甲哨兵学生" not in text and world.a.student.person.id_number not in text

    before = AuditEntry.objects.filter(action="lrs.statements_read").count()
    mine = client.get(URL, **basic(lrs_a)).json()
    assert {s["id"] for s in mine["statements"]} == set(ids)
    assert mine["more"] == ""
    theirs = client.get(URL, **basic(lrs_b)).json()
    assert theirs["statements"] == []
    one = client.get(URL, {"statementId": ids[0]}, **basic(lrs_b))
    assert one.status_code == 404
    assert AuditEntry.objects.filter(action="lrs.statements_read").count() == before + 3

    # A client of county B cannot write about a learner of county A.
    refused = post(client, statement(student(world)), basic(lrs_b))
    assert refused.status_code == 403
    assert refused.json()["field"] == "statement.actor"
    assert Statement.objects.count() == 2


@pytest.mark.django_db
def test_get_filters_and_paging(world, client):
    lrs = lrs_client(world.a)
    other = statement(
        world.a.users["teacher"], verb={"id": "http://adlnet.gov/expapi/verbs/attempted"}
    )
    post(client, [statement(student(world)) for _ in range(3)] + [other], basic(lrs))
    agent = json.dumps(agent_of(student(world)))
    page = client.get(URL, {"agent": agent, "limit": 2}, **basic(lrs)).json()
    assert len(page["statements"]) == 2
    assert page["more"]
    rest = client.get(page["more"], **basic(lrs)).json()
    assert len(rest["statements"]) == 1 and rest["more"] == ""
    by_verb = client.get(URL, {"verb": "http://adlnet.gov/expapi/verbs/attempted"}, **basic(lrs))
    assert len(by_verb.json()["statements"]) == 1
    bad = client.get(URL, {"agent": "{not json"}, **basic(lrs))
    assert bad.status_code == 400 and bad.json()["field"] == "agent"
    assert client.get(URL, {"ascending": "maybe"}, **basic(lrs)).status_code == 400
    assert client.get(URL, {"colour": "red"}, **basic(lrs)).status_code == 400


@pytest.mark.django_db
def test_put_is_idempotent_and_conflicting_content_is_refused(world, client):
    lrs = lrs_client(world.a)
    sid = str(uuid.uuid4())
    body = json.dumps(statement(student(world)))
    put = lambda data: client.put(  # noqa: E731
        f"{URL}?statementId={sid}", data=data, content_type="application/json", **basic(lrs)
    )
    assert put(body).status_code == 204
    assert put(body).status_code == 204
    assert Statement.objects.filter(id=sid).count() == 1
    changed = json.dumps(statement(student(world), result={"completion": False}))
    conflict = put(changed)
    assert conflict.status_code == 409
    assert Statement.objects.count() == 1
    mismatch = json.dumps(statement(student(world), id=str(uuid.uuid4())))
    assert put(mismatch).status_code == 400
    no_id = client.put(URL, data=body, content_type="application/json", **basic(lrs))
    assert no_id.status_code == 400 and no_id.json()["field"] == "statementId"


@pytest.mark.django_db
def test_voiding(world, client):
    lrs = lrs_client(world.a)
    [target] = post(client, statement(student(world)), basic(lrs)).json()
    void = {
        "actor": agent_of(student(world)),
        "verb": {"id": xapi.VOIDED_VERB, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target},
    }
    response = post(client, void, basic(lrs))
    assert response.status_code == 200, response.content
    [voiding] = response.json()
    assert Statement.objects.get(id=target).voided
    assert client.get(URL, {"statementId": target}, **basic(lrs)).status_code == 404
    found = client.get(URL, {"voidedStatementId": target}, **basic(lrs))
    assert found.status_code == 200 and found.json()["id"] == target
    listed = [s["id"] for s in client.get(URL, **basic(lrs)).json()["statements"]]
    assert target not in listed and voiding in listed
    # A voiding statement cannot itself be voided; a missing one cannot be voided.
    again = {**void, "object": {"objectType": "StatementRef", "id": voiding}}
    assert post(client, again, basic(lrs)).status_code == 400
    missing = {**void, "object": {"objectType": "StatementRef", "id": str(uuid.uuid4())}}
    assert post(client, missing, basic(lrs)).status_code == 400
    # Voided and voiding statements do not count as activity.
    assert not Statement.objects.counted().exists()


@pytest.mark.django_db
def test_a_signed_in_user_reads_and_writes_only_their_own(world, login, client):
    login(student(world))
    own = post(client, statement(student(world)), {})
    assert own.status_code == 200, own.content
    someone_else = post(client, statement(world.a.users["teacher"]), {})
    assert someone_else.status_code == 403
    services.statement_record(
        user=world.a.users["teacher"], verb="viewed", object_id="https://x.cn/a", object_name="甲"
    )
    listed = client.get(URL).json()["statements"]
    assert [s["id"] for s in listed] == own.json()
    # The platform's own pages may pass other query parameters: ignored, not an error.
    assert client.get(URL, {"school": 3}).json()["statements"] == listed
    # Officers hold no space: refused.
    client.logout()
    login(world.a.users["county_officer"])
    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(student(world))
    response = strict.post(URL, data=json.dumps(statement(student(world))),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 403
    assert not Statement.objects.exists()


@pytest.mark.django_db
def test_resource_events_are_recorded_as_statements(world):
    resource = public_resource()
    user = world.a.users["student"]
    resource_event.send(sender=None, user=user, verb="rated", resource=resource, extra={"score": 4})
    resource_event.send(sender=None, user=user, verb="viewed", resource=resource, extra={})
    rows = list(Statement.objects.filter(user=user).order_by("timestamp"))
    assert [r.verb_id for r in rows] == [xapi.VERB_IDS["rated"], xapi.VERB_IDS["viewed"]]
    assert rows[0].result == {"score": {"raw": 4, "min": 1, "max": 5}}
    assert rows[0].resource == resource and rows[0].object_name == resource.title
    assert rows[0].school_id == world.a.school.pk and rows[0].role == "student"
