"""The scope walk over the JSON API (django-ninja, mounted at /api/).

Operations are enumerated from ``eduplus.api.api`` (every router, every method), so an
endpoint added later is walked automatically. Path parameters are filled from the
same keyword registry as the page walk (tests/test_scope_walk.py ``KWARGS``); the
action an endpoint requires is declared in ``API_ACTIONS`` below, because the API
checks it inside the function body (``core.api.require``) where no decorator shows it.
An operation missing from either registry fails the walk with a message saying where
to register it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from eduplus.core.roles import Action
from tests.test_scope_walk import (
    ACTORS,
    ALLOW,
    DENY,
    EITHER,
    KWARGS,
    MISSING_VALUE,
    Actor,
    Filled,
    denied_count,
    expect,
    fill,
    leaks,
    report,
    tampered_queries,
)

API_ROOT = "/api"
_PARAM = re.compile(r"\{(?:[^}:]+:)?([^}]+)\}")

# (method, path template) → the action the endpoint requires (None: any logged-in user).
API_ACTIONS: dict[tuple[str, str], str | None] = {
    ("GET", "/api/spaces/me"): Action.SPACE_USE,
    ("GET", "/api/spaces/favourites"): Action.SPACE_USE,
    ("POST", "/api/spaces/favourites/{resource_pk}"): Action.SPACE_USE,
    ("DELETE", "/api/spaces/favourites/{resource_pk}"): Action.SPACE_USE,
    ("GET", "/api/spaces/groups"): Action.TEACHING_GROUP,
    ("GET", "/api/spaces/groups/{group_pk}/posts"): Action.TEACHING_GROUP,
    ("GET", "/api/accounts/me"): None,
    ("GET", "/api/regions/{region_code}"): Action.REGION_VIEW,
    ("GET", "/api/regions/{region_code}/children"): Action.REGION_VIEW,
    ("GET", "/api/schools/"): Action.SCHOOL_VIEW,
    ("GET", "/api/schools/{school_pk}"): Action.SCHOOL_VIEW,
    ("GET", "/api/people/students"): Action.PERSON_VIEW,
    ("GET", "/api/people/students/{student_pk}"): Action.PERSON_VIEW,
    ("GET", "/api/people/teachers"): Action.STAFF_VIEW,
    ("GET", "/api/people/teachers/{teacher_pk}"): Action.STAFF_VIEW,
    ("GET", "/api/monitoring/regions/{region_code}/indicators"): Action.MONITORING_VIEW,
    ("GET", "/api/monitoring/schools/{school_pk}/facts"): Action.MONITORING_VIEW,
    ("GET", "/api/inspections/plans"): Action.INSPECTION_MANAGE,
    ("GET", "/api/inspections/plans/{plan_pk}"): Action.INSPECTION_MANAGE,
    ("GET", "/api/reports/tasks"): Action.REPORT_REVIEW,
    ("GET", "/api/reports/tasks/{task_pk}/submissions"): Action.REPORT_REVIEW,
    ("GET", "/api/data/persons/{person_pk}"): Action.DATA_STEWARD,
    ("GET", "/api/data/runs"): Action.DATA_STEWARD,
    ("GET", "/api/data/batches"): Action.DATA_IMPORT,
    ("GET", "/api/data/batches/{batch_pk}"): Action.DATA_IMPORT,
    ("GET", "/api/data/quality/regions/{region_code}"): Action.DATA_VIEW,
    ("GET", "/api/data/catalog"): Action.DATA_VIEW,
    ("GET", "/api/data/lineage/events"): Action.DATA_VIEW,
    ("GET", "/api/data/shares"): Action.SHARE_REQUEST,
    ("GET", "/api/data/shares/{share_pk}"): Action.SHARE_REQUEST,
    ("GET", "/api/resources/search"): Action.RESOURCE_VIEW,
    ("GET", "/api/resources/items/{resource_pk}"): Action.RESOURCE_VIEW,
    ("GET", "/api/resources/catalog"): Action.RESOURCE_VIEW,
    ("GET", "/api/lessons/activities"): None,
    ("GET", "/api/lessons/showcase"): Action.RESOURCE_VIEW,
    ("GET", "/api/lessons/my/lessons"): Action.LESSON_SUBMIT,
    ("GET", "/api/lessons/review/queue"): None,
    ("POST", "/api/lessons/review/scores"): None,
    ("POST", "/api/resources/ratings"): Action.RESOURCE_RATE,
    ("POST", "/api/resources/comments"): Action.RESOURCE_RATE,
    ("GET", "/api/resources/items/{resource_pk}/comments"): Action.RESOURCE_VIEW,
    ("GET", "/api/resources/items/{resource_pk}/stats"): Action.RESOURCE_VIEW,
}
# The data-sharing API answers bearer tokens of approved requests, never a session:
# src/eduplus/governance/tests/test_share_api.py tests it; here only anonymous calls (401).
TOKEN_API_PREFIX = "/api/share/"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # "/api/schools/{school_pk}"
    kwargs: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)

    def url(self, values: dict[str, Any] | None = None) -> str:
        values = values or {}
        return _PARAM.sub(lambda m: str(values[m.group(1)]), self.path)


def api_operations() -> list[Operation]:
    from eduplus.api import api

    ops = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            full = re.sub(r"/{2,}", "/", f"{API_ROOT}/{prefix}{path}")
            for operation in path_view.operations:
                for method in operation.methods:
                    ops.append(Operation(method, full, tuple(_PARAM.findall(path))))
    return ops


def registry_problems(op: Operation) -> list[str]:
    problems: list[str] = []
    if op.path.startswith(TOKEN_API_PREFIX):
        return problems
    if op.key not in API_ACTIONS:
        problems.append(
            f"API operation {op.method} {op.path} is not in API_ACTIONS in "
            f"tests/test_api_scope.py: declare the action it requires (None for any "
            f"logged-in user) so the scope walk knows what to expect"
        )
    problems += [
        f"API operation {op.method} {op.path} takes path parameter {k!r}, which the scope "
        f"walk does not know: register it in KWARGS and MISSING_VALUE in "
        f"tests/test_scope_walk.py"
        for k in op.kwargs
        if k not in KWARGS
    ]
    return problems


@dataclass
class Answer:
    status: int
    text: str  # the JSON re-dumped without ASCII escapes, so Chinese text is searchable
    data: Any = None


def call(client: Any, method: str, url: str) -> Answer:
    response = client.generic(method, url)
    raw = response.content.decode("utf-8", "replace")
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return Answer(response.status_code, raw)
    return Answer(response.status_code, json.dumps(data, ensure_ascii=False), data)


def test_api_operations_are_found_and_registered():
    ops = api_operations()
    paths = {op.path for op in ops}
    assert {"/api/schools/", "/api/schools/{school_pk}", "/api/people/students"} <= paths, paths
    problems = [p for op in ops for p in registry_problems(op)]
    assert not problems, "\n".join(problems)
    stale = set(API_ACTIONS) - {op.key for op in ops}
    assert not stale, f"API_ACTIONS names operations that no longer exist: {stale}"


@pytest.mark.django_db
def test_api_answers_anonymous_callers_401(world, client):
    problems = []
    for op in api_operations():
        values = {k: KWARGS[k](world, world.a)[0][1] for k in op.kwargs if k in KWARGS}
        got = call(client, op.method, op.url(values))
        if got.status not in (401, 403):
            problems.append(f"anonymous {op.method} {op.url(values)} answered {got.status}")
        if "哨兵" in got.text:
            problems.append(f"anonymous {op.method} {op.url(values)} shows world data")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_openapi_schema_is_served(world, login, client):
    anonymous = client.get(f"{API_ROOT}/openapi.json")
    assert "哨兵" not in anonymous.content.decode()
    login(world.a.users["county_officer"])
    response = client.get(f"{API_ROOT}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"]
    documented = {(m.upper(), p) for p, item in schema["paths"].items() for m in item}
    assert {op.key for op in api_operations()} <= documented


@pytest.mark.django_db
@pytest.mark.parametrize("actor_key", list(ACTORS))
def test_api_objects_answer_by_scope(world, login, client, actor_key):
    actor = ACTORS[actor_key]
    login(actor.user(world))
    problems: list[str] = []
    for op in api_operations():
        if not op.kwargs or op.path.startswith(TOKEN_API_PREFIX):
            continue
        found = registry_problems(op)
        if found:
            problems += found
            continue
        for county_key in ("a", "b"):
            county = getattr(world, county_key)
            for filled in fill(op, world, county):  # type: ignore[arg-type]
                problems += check_api_object(client, world, actor, op, county_key, filled)
    assert not problems, report(problems, actor)


def check_api_object(
    client: Any, world: Any, actor: Actor, op: Operation, county_key: str, filled: Filled
) -> list[str]:
    exp = expect(actor, API_ACTIONS[op.key], (), county_key, filled.kinds)
    url = op.url(filled.values)
    where = f"{op.method} {url} (county {county_key.upper()} {'+'.join(filled.kinds)})"
    before = denied_count()
    got = call(client, op.method, url)
    audited = denied_count() - before
    problems = []
    found = leaks(actor, got.text, world)
    if found:
        problems.append(f"LEAK {where} ({got.status}) shows {found}")
    if exp.outcome == ALLOW and got.status != 200:
        problems.append(f"{where} answered {got.status}, expected 200 (in scope, action held)")
    elif exp.outcome == DENY and got.status not in (403, 404):
        label = "LEAK" if got.status == 200 else "unexpected"
        problems.append(f"{label} {where} answered {got.status}, expected 403 or 404")
    elif exp.outcome == EITHER and got.status not in (200, 404):
        problems.append(f"{where} answered {got.status}, expected 200 or 404")
    if exp.outcome != DENY or got.status not in (403, 404) or not exp.compare_with_missing:
        return problems
    missing_url = op.url({k: MISSING_VALUE[k] for k in op.kwargs})
    before = denied_count()
    other = call(client, op.method, missing_url)
    audited_missing = denied_count() - before
    if (other.status, other.text) != (got.status, got.text):
        problems.append(
            f"{where} answered {got.status} {got.text[:120]} but a missing object "
            f"({missing_url}) answered {other.status} {other.text[:120]}: they must look alike"
        )
    if exp.scope_denial:
        if audited < 1:
            problems.append(f"{where}: out-of-scope access left no permission.denied entry")
        if audited_missing:
            problems.append(f"{missing_url}: a missing object was audited as a denial")
    return problems


def region_prefixes(actor: Actor) -> tuple[str, ...]:
    """Where the items a list endpoint returns to this actor may lie."""
    if "school" in actor.sees_b:
        return ("41",)
    if actor.sees_a:
        return ("410102",)
    return ()


@pytest.mark.django_db
@pytest.mark.parametrize("actor_key", list(ACTORS))
def test_api_lists_never_show_other_scopes(world, login, client, actor_key):
    actor = ACTORS[actor_key]
    login(actor.user(world))
    problems: list[str] = []
    allowed_prefixes = region_prefixes(actor)
    for op in api_operations():
        if op.kwargs or op.method != "GET" or op.path.startswith(TOKEN_API_PREFIX):
            continue
        if op.key not in API_ACTIONS:
            problems += registry_problems(op)
            continue
        action = API_ACTIONS[op.key]
        action_ok = action is None or action in actor.actions
        for query in [*tampered_queries(world), {"size": 1000}, {"page": 0, "size": 0}]:
            got = call(client, "GET", f"{op.url()}?{urlencode(query)}")
            where = f"GET {op.path}?{query}"
            found = leaks(actor, got.text, world)
            if found:
                problems.append(f"LEAK {where} ({got.status}) shows {found}")
            if action_ok and got.status != 200:
                problems.append(f"{where} answered {got.status} to a role holding {action}")
            if not action_ok and got.status != 403:
                label = "LEAK" if got.status == 200 else "unexpected"
                problems.append(f"{label} {where} answered {got.status}, expected 403")
            items = got.data.get("items", []) if isinstance(got.data, dict) else []
            for item in items:
                code = str(item.get("region_code", "")) if isinstance(item, dict) else ""
                if code and not code.startswith(allowed_prefixes or ("-",)):
                    problems.append(f"LEAK {where} returns an item of region {code}: {item}")
            if isinstance(got.data, dict) and "size" in got.data and got.data["size"] > 200:
                problems.append(f"{where} pages {got.data['size']} items (limit 200)")
    assert not problems, report(problems, actor)


# What each role's list endpoints return: exactly these names.
API_ENTITLED: list[tuple[str, str, set[str]]] = [
    ("county_officer", "/api/schools/", {"甲哨兵实验小学", "甲哨兵村教学点"}),
    ("county_officer", "/api/people/students", {"甲哨兵学生", "甲哨兵同校生"}),
    ("county_officer", "/api/people/teachers", {"甲哨兵教师"}),
    ("city_officer", "/api/schools/", {"甲哨兵实验小学", "甲哨兵村教学点"}),
    (
        "province_officer",
        "/api/schools/",
        {"甲哨兵实验小学", "甲哨兵村教学点", "乙哨兵实验小学", "乙哨兵村教学点"},
    ),
    (
        "province_officer",
        "/api/people/students",
        {"甲哨兵学生", "甲哨兵同校生", "乙哨兵学生", "乙哨兵同校生"},
    ),
    ("other_province_officer", "/api/schools/", set()),
    ("other_province_officer", "/api/people/students", set()),
    # A teaching point is run by its central school: its staff and families see it too.
    ("school_admin", "/api/schools/", {"甲哨兵实验小学", "甲哨兵村教学点"}),
    ("teacher", "/api/schools/", {"甲哨兵实验小学", "甲哨兵村教学点"}),
    ("parent", "/api/schools/", {"甲哨兵实验小学", "甲哨兵村教学点"}),
    ("school_admin", "/api/people/students", {"甲哨兵学生", "甲哨兵同校生"}),
    ("teacher", "/api/people/students", {"甲哨兵学生"}),
    ("teacher", "/api/people/teachers", {"甲哨兵教师"}),
    ("student", "/api/people/students", {"甲哨兵学生"}),
    ("parent", "/api/people/students", {"甲哨兵学生"}),
    (
        "system_admin",
        "/api/schools/",
        {"甲哨兵实验小学", "甲哨兵村教学点", "乙哨兵实验小学", "乙哨兵村教学点"},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor_key", "path", "names"), API_ENTITLED, ids=[f"{a}-{p}" for a, p, _ in API_ENTITLED]
)
def test_api_lists_return_exactly_what_the_role_is_entitled_to(
    world, login, client, actor_key, path, names
):
    login(ACTORS[actor_key].user(world))
    response = client.get(path)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    got = {item["name"] for item in body["items"]}
    assert got == names, f"{actor_key} GET {path}: {sorted(got)}, expected {sorted(names)}"
    assert body["count"] == len(names)


@pytest.mark.django_db
@pytest.mark.parametrize("actor_key", list(ACTORS))
def test_api_me_describes_the_caller_only(world, login, client, actor_key):
    user = ACTORS[actor_key].user(world)
    login(user)
    body = client.get(f"{API_ROOT}/accounts/me").json()
    assert body["username"] == user.username
    assert [r["role"] for r in body["roles"]] == [ACTORS[actor_key].role]
    assert set(body["actions"]) == set(ACTORS[actor_key].actions)
