"""The scope walk: every URL route, every role, both counties of the test world.

Routes are enumerated from the URL resolver, so a route added later is walked
automatically. A route whose URL carries a keyword the walk does not know fails
``test_every_route_kwarg_is_registered`` (and the walks) until the keyword is added to
``KWARGS`` below: that is how new object routes get covered.

What is checked, for every role of county A, the province officers of 41 and 42 and
the three administrators:

* object routes (``/schools/<school_pk>/`` ...) with county B's objects answer 403 or
  404, never 200; with county A's objects they answer 200 exactly where the role holds
  the view's ``required_action`` (core.permissions.require_action) and the object lies
  in the role's scope (the ``Actor`` table below), 403/404 otherwise;
* an out-of-scope object answers exactly like a missing one (status and page), and
  only the out-of-scope one leaves a ``permission.denied`` audit entry;
* list routes (no URL keywords), also with tampered query strings, never show a
  county-B sentinel (every county-B name starts with ``乙哨兵``) nor anything the role is
  not entitled to, and show what it is entitled to;
* anonymous requests to anything but the public allowlist are sent to the login page
  (or refused), never answered with data;
* list pages run a bounded number of queries that does not grow with the rows.

The ninja API under /api/ is walked by tests/test_api_scope.py with the same tables.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from eduplus.aggregation.tests.factories import walk_run, walk_source, walk_token
from eduplus.core.models import AuditEntry
from eduplus.core.roles import ROLE_ACTIONS, Action
from eduplus.governance.tests.sharing_fixtures import county_share_request
from eduplus.lessons.tests.factories import lesson_objects
from eduplus.resources.tests.factories import engagement_objects, public_resource, resource_objects
from eduplus.spaces.tests.factories import lrs_client, teaching_group
from eduplus.testing import factories as f

# --------------------------------------------------------------------------- routes

# Not walked here: the ninja API (tests/test_api_scope.py), language switching,
# static files and an admin site if one is ever mounted.
SKIP_PREFIXES = ("api/", "i18n/", "static/", "admin/")
# Routes anyone may open without logging in. Everything else must require login.
PUBLIC_ROUTES = frozenset({"accounts:login", "core:healthz"}) | frozenset(
    {  # 双随机一公开: published plans and the draw verification, by design without login
        "inspections:public_list",
        "inspections:public_plan",
        "inspections:public_inputs",
        "inspections:public_verify",
    }
)
LOGIN_PATH = "/login/"

_PARAM = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


@dataclass(frozen=True)
class Route:
    path: str  # "/schools/<int:school_pk>/"
    name: str  # "schools:detail" (the path when the pattern is unnamed)
    callback: Callable[..., Any]
    kwargs: tuple[str, ...]
    is_regex: bool = False

    @property
    def required_action(self) -> str | None:
        return getattr(self.callback, "required_action", None)

    @property
    def public(self) -> bool:
        return self.name in PUBLIC_ROUTES

    def url(self, values: dict[str, Any] | None = None) -> str:
        values = values or {}
        return _PARAM.sub(lambda m: str(values[m.group(1)]), self.path)


def _walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[Route]:
    for p in patterns:
        text = str(p.pattern)
        is_regex = not isinstance(p.pattern, RoutePattern)
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + text, ns)
        elif isinstance(p, URLPattern):
            path = prefix + text
            yield Route(
                path="/" + path,
                name=f"{namespace}{p.name}" if p.name else "/" + path,
                callback=p.callback,
                kwargs=tuple(p.pattern.regex.groupindex),
                is_regex=is_regex,
            )


def all_routes() -> list[Route]:
    """Every route of the site except the skipped prefixes (API, i18n, static)."""
    routes = _walk(get_resolver().url_patterns, "", "")
    return [r for r in routes if not r.path.lstrip("/").startswith(SKIP_PREFIXES)]


def object_routes() -> list[Route]:
    return [r for r in all_routes() if r.kwargs and not r.public]


def list_routes() -> list[Route]:
    return [r for r in all_routes() if not r.kwargs and not r.public]


# ------------------------------------------------------------------ kwarg registry

# URL keyword → how to fill it from one county of the world: (object kind, value).
# Register every new keyword here (and in MISSING_VALUE) to have its routes walked.
KWARGS: dict[str, Callable[[Any, Any], list[tuple[str, Any]]]] = {
    "source_pk": lambda w, c: [("region.province", walk_source(c).pk)],
    "run_pk": lambda w, c: [("region.province", walk_run(c).pk)],
    "token_pk": lambda w, c: [("region.province", walk_token(c).pk)],
    "entry_pk": lambda w, c: [("global", public_resource().pk)],
    "group_pk": lambda w, c: [("school", teaching_group(c).pk)],
    "client_pk": lambda w, c: [("region.county", lrs_client(c).pk)],
    "region_code": lambda w, c: [
        ("region.county", c.code),
        ("region.city", c.code[:4]),
        ("region.province", c.code[:2]),
    ],
    "school_pk": lambda w, c: [("school", c.school.pk), ("teaching_point", c.teaching_point.pk)],
    "student_pk": lambda w, c: [
        ("student", c.student.pk),
        ("other_student", c.other_student.pk),
    ],
    "teacher_pk": lambda w, c: [("teacher", c.teacher.pk)],
    "user_pk": lambda w, c: [("user", c.users["teacher"].pk)],
    # Inspections: a county's pool, inspector, plan and drawn school behave like the county.
    "plan_pk": lambda w, c: [("region.county", f.inspection_objects(c.code)["plan"].pk)],
    "target_pk": lambda w, c: [("region.county", f.inspection_objects(c.code)["target"].pk)],
    "pool_pk": lambda w, c: [("region.county", f.inspection_objects(c.code)["pool"].pk)],
    "inspector_pk": lambda w, c: [("region.county", f.inspection_objects(c.code)["inspector"].pk)],
    "public_plan_pk": lambda w, c: [("public_plan", f.public_inspection_plan().pk)],
    # Reporting: a county officer's form is seen like the county; the task and the
    # per-school submissions like the school (and its teaching point) they reach.
    "form_pk": lambda w, c: [("region.county", f.report_world(c).form.pk)],
    "task_pk": lambda w, c: [("school", f.report_world(c).task.pk)],
    "submission_pk": lambda w, c: [
        ("school", f.report_world(c).school_submission.pk),
        ("teaching_point", f.report_world(c).tp_submission.pk),
    ],
    # Data governance: a golden person and a review pair are personal (the county's
    # student); an import batch belongs to its region; sources, quality rules and
    # catalog datasets are province-wide definitions ("global": only the action counts).
    "person_pk": lambda w, c: [("student", f.governance_objects(c)["golden"].person_id)],
    "review_pk": lambda w, c: [("student", f.governance_objects(c)["review"].pk)],
    "batch_pk": lambda w, c: [("region.county", f.governance_objects(c)["batch"].pk)],
    "source_code": lambda w, c: [("global", "xueji")],
    "rule_pk": lambda w, c: [("global", f.quality_rule_pk())],
    "dataset_code": lambda w, c: [("global", f.catalog_dataset_code())],
    # A sharing request belongs to the region it asks for (the county's officer's).
    "share_pk": lambda w, c: [("region.county", county_share_request(c).pk)],
    # Resources: a county teacher's resource under review is seen like the teacher; a
    # published one elsewhere by every role that views resources ("global").
    "resource_pk": lambda w, c: [
        ("teacher", resource_objects(c)["submitted"].pk),
        ("global", public_resource().pk),
    ],
    "comment_pk": lambda w, c: [("school", engagement_objects(c)["comment"].pk)],
    "complaint_pk": lambda w, c: [("school", engagement_objects(c)["complaint"].pk)],
    "activity_pk": lambda w, c: [("school", lesson_objects(c)["activity"].pk)],
    "lesson_pk": lambda w, c: [("teacher", lesson_objects(c)["lesson"].pk)],
    "round_pk": lambda w, c: [("region.county", lesson_objects(c)["round"].pk)],
}
# A value of the same shape that names nothing at all.
MISSING_VALUE: dict[str, Any] = {
    "source_pk": 999999999,
    "run_pk": 999999999,
    "token_pk": 999999999,
    "entry_pk": 999999999,
    "group_pk": 999999999,
    "client_pk": 999999999,
    "region_code": "999999",
    "school_pk": 999999999,
    "student_pk": 999999999,
    "teacher_pk": 999999999,
    "user_pk": 999999999,
    "plan_pk": 999999999,
    "target_pk": 999999999,
    "pool_pk": 999999999,
    "inspector_pk": 999999999,
    "public_plan_pk": 999999999,
    "form_pk": 999999999,
    "task_pk": 999999999,
    "submission_pk": 999999999,
    "person_pk": 999999999,
    "review_pk": 999999999,
    "batch_pk": 999999999,
    "source_code": "no-such-source",
    "rule_pk": 999999999,
    "dataset_code": "batch:999999999",
    "share_pk": 999999999,
    "resource_pk": 999999999,
    "comment_pk": 999999999,
    "complaint_pk": 999999999,
    "activity_pk": 999999999,
    "lesson_pk": 999999999,
    "round_pk": 999999999,
}
# Actions a view checks beyond its require_action (decorators cannot show them).
EXTRA_ACTIONS: dict[str, tuple[str, ...]] = {
    "people:student_reveal_id": (Action.PERSON_VIEW_ID_NUMBER,),
}


def unregistered_kwargs(route: Route) -> list[str]:
    return [k for k in route.kwargs if k not in KWARGS]


def register_hint(route: Route, kwarg: str) -> str:
    return (
        f"route {route.path} ({route.name}) takes URL keyword {kwarg!r}, which the scope walk "
        f"does not know: register it in KWARGS and MISSING_VALUE in tests/test_scope_walk.py "
        f"(how to fill it from a county of the `world` fixture), so that the route is walked "
        f"for every role with in-scope and out-of-scope objects"
    )


@dataclass(frozen=True)
class Filled:
    kinds: tuple[str, ...]
    values: dict[str, Any]


def fill(route: Route, world: Any, county: Any) -> list[Filled]:
    options = [KWARGS[k](world, county) for k in route.kwargs]
    return [
        Filled(
            kinds=tuple(kind for kind, _ in combo),
            values=dict(zip(route.kwargs, [v for _, v in combo], strict=True)),
        )
        for combo in itertools.product(*options)
    ]


# -------------------------------------------------------------------------- actors

REGIONS = frozenset({"region.county", "region.city", "region.province"})
PEOPLE = frozenset({"student", "other_student", "teacher"})
EVERY_KIND = REGIONS | PEOPLE | {"school", "teaching_point", "user"}

SENTINEL_A = "甲哨兵"
SENTINEL_B = "乙哨兵"
# County B's region names: no role scoped to county A may ever see them.
B_REGION_NAMES = ("龙亭区", "开封市")
A_REGION_NAMES = ("中原区", "郑州市")
PEOPLE_SENTINELS = tuple(
    f"{tag}哨兵{what}" for tag in "甲乙" for what in ("学生", "同校生", "教师", "家长")
)


@dataclass(frozen=True)
class Actor:
    key: str
    role: str
    user: Callable[[Any], Any]
    sees_a: frozenset[str]  # object kinds of county A in the actor's scope
    sees_b: frozenset[str] = frozenset()  # ... and of county B
    # Kinds of county A where either answer is acceptable (intent not pinned down).
    either_a: frozenset[str] = frozenset()
    forbidden_text: tuple[str, ...] = field(default=(SENTINEL_B, *B_REGION_NAMES))

    @property
    def actions(self) -> frozenset[str]:
        return ROLE_ACTIONS[self.role]


_A_SCOPED = (SENTINEL_B, *B_REGION_NAMES)
# A teaching point (教学点) is run by its central school: whoever holds the school sees it.
_TP = frozenset({"teaching_point"})

ACTORS: dict[str, Actor] = {
    a.key: a
    for a in [
        Actor(
            "province_officer",
            "province_officer",
            lambda w: w.province_officer,
            sees_a=EVERY_KIND - {"user"},
            sees_b=EVERY_KIND - {"user"},
            forbidden_text=(),
        ),
        Actor(
            "other_province_officer",
            "province_officer",
            lambda w: w.other_province_officer,
            sees_a=frozenset(),
            forbidden_text=(SENTINEL_A, SENTINEL_B, "河南省", *A_REGION_NAMES, *B_REGION_NAMES),
        ),
        Actor(
            "city_officer",
            "city_officer",
            lambda w: w.a.users["city_officer"],
            sees_a=frozenset({"region.county", "region.city", "school", "teaching_point"}) | PEOPLE,
        ),
        Actor(
            "county_officer",
            "county_officer",
            lambda w: w.a.users["county_officer"],
            sees_a=frozenset({"region.county", "school", "teaching_point"}) | PEOPLE,
        ),
        Actor(
            "school_admin",
            "school_admin",
            lambda w: w.a.users["school_admin"],
            sees_a=frozenset({"school"}) | _TP | PEOPLE,
        ),
        Actor(
            "teacher",
            "teacher",
            lambda w: w.a.users["teacher"],
            sees_a=frozenset({"school", "student", "teacher"}) | _TP,
            forbidden_text=(*_A_SCOPED, "甲哨兵同校生", "甲哨兵家长"),
        ),
        Actor(
            "student",
            "student",
            lambda w: w.a.users["student"],
            sees_a=frozenset({"school", "student"}) | _TP,
            forbidden_text=(*_A_SCOPED, "甲哨兵同校生", "甲哨兵家长"),
        ),
        Actor(
            "parent",
            "parent",
            lambda w: w.a.users["parent"],
            sees_a=frozenset({"school", "student"}) | _TP,
            forbidden_text=(*_A_SCOPED, "甲哨兵同校生"),
        ),
        # 三员: the system administrator sees the province's organisations, never people.
        Actor(
            "system_admin",
            "system_admin",
            lambda w: w.system_admin,
            sees_a=REGIONS | {"school", "teaching_point", "user"},
            sees_b=REGIONS | {"school", "teaching_point", "user"},
            forbidden_text=PEOPLE_SENTINELS,
        ),
        # The security administrator unlocks any account of the deployment; no data.
        Actor(
            "security_admin",
            "security_admin",
            lambda w: w.security_admin,
            sees_a=frozenset({"user"}),
            sees_b=frozenset({"user"}),
            forbidden_text=(SENTINEL_A, SENTINEL_B),
        ),
        # 数据管理员: the province's data steward sees the province's people and data.
        Actor(
            "data_steward",
            "data_steward",
            lambda w: w.data_steward,
            sees_a=EVERY_KIND - {"user"},
            sees_b=EVERY_KIND - {"user"},
            forbidden_text=(),
        ),
        # Within one test the audit log holds only the auditor's own entries.
        Actor(
            "audit_admin",
            "audit_admin",
            lambda w: w.audit_admin,
            sees_a=frozenset(),
            forbidden_text=(SENTINEL_A, SENTINEL_B),
        ),
    ]
}

ALLOW, DENY, EITHER = "allow", "deny", "either"


@dataclass(frozen=True)
class Expectation:
    outcome: str  # ALLOW / DENY / EITHER
    # True when the refusal is about scope (the object is out of reach), not a missing
    # action: then the answer must equal a missing object's and be audited.
    scope_denial: bool
    # False only when an object in scope is refused for a missing extra action: then
    # the object's existence is no secret and 403 (not 404) is the honest answer.
    compare_with_missing: bool = True


def expect(
    actor: Actor,
    required_action: str | None,
    extra: tuple[str, ...],
    county_key: str,
    kinds: tuple[str, ...],
) -> Expectation:
    if required_action is not None and required_action not in actor.actions:
        return Expectation(DENY, scope_denial=False)
    seen = (actor.sees_a if county_key == "a" else actor.sees_b) | {"global"}
    either = actor.either_a if county_key == "a" else frozenset()
    if all(k in seen for k in kinds):
        if any(a not in actor.actions for a in extra):
            return Expectation(DENY, scope_denial=False, compare_with_missing=False)
        return Expectation(ALLOW, scope_denial=False)
    if all(k in seen or k in either for k in kinds):
        return Expectation(EITHER, scope_denial=False)
    return Expectation(DENY, scope_denial=True)


# ------------------------------------------------------------------------ requests


@dataclass
class Fetched:
    method: str
    status: int
    body: str
    location: str = ""
    error: str = ""


def fetch(client: Any, url: str, *, follow: bool = False, post_if_405: bool = True) -> Fetched:
    """GET the URL; a POST-only route (405) is POSTed instead. Exceptions are caught."""
    method = "GET"
    try:
        response = client.get(url, follow=follow)
        if response.status_code == 405 and post_if_405:
            method = "POST"
            response = client.post(url)
    except Exception as exc:  # a crash is reported as a finding, not a test error
        return Fetched(method, 500, "", error=f"{type(exc).__name__}: {exc}")
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return Fetched(
        method,
        response.status_code,
        raw.decode("utf-8", "replace"),
        location=response.headers.get("Location", ""),
    )


_TOKEN = re.compile(r"[A-Za-z0-9]{32,}")


def normalised(body: str, url: str) -> str:
    """A page without what legitimately differs between two requests: CSRF tokens and
    the requested path (echoed in the language form's ``next``)."""
    return _TOKEN.sub("<token>", body.replace(url, "<url>"))


def first_difference(one: str, other: str) -> str:
    for line_one, line_other in zip(one.splitlines(), other.splitlines(), strict=False):
        if line_one != line_other:
            return f"{line_one[:200]!r} vs {line_other[:200]!r}"
    return "(one page is longer)"


def denied_count() -> int:
    return AuditEntry.objects.filter(action="permission.denied").count()


def id_numbers(world: Any) -> list[str]:
    people = [c.student.person for c in (world.a, world.b)] + [
        c.teacher.person for c in (world.a, world.b)
    ]
    return [p.id_number for p in people if p.id_number]


def leaks(actor: Actor, body: str, world: Any, *, id_numbers_ok: bool = False) -> list[str]:
    """Forbidden text in a page; full ID numbers only ever in an allowed reveal (POST)."""
    found = [s for s in actor.forbidden_text if s in body]
    if not id_numbers_ok:
        found += [f"full ID number {n}" for n in id_numbers(world) if n in body]
    return found


def report(problems: list[str], actor: Actor) -> str:
    head = f"{len(problems)} problem(s) for role {actor.key} ({actor.role}):\n  "
    return head + "\n  ".join(problems[:80])


# ---------------------------------------------------------- the routes themselves


def test_route_enumeration_finds_the_known_routes():
    names = {r.name for r in all_routes()}
    for expected in ("home", "schools:list", "schools:detail", "people:student", "regions:detail"):
        assert expected in names, f"{expected} not found by the route walk: {sorted(names)}"
    assert not any(r.path.startswith("/api/") for r in all_routes())
    stale = PUBLIC_ROUTES - names
    assert not stale, f"PUBLIC_ROUTES names routes that no longer exist: {stale}"


def test_every_route_kwarg_is_registered():
    problems = [register_hint(r, k) for r in all_routes() for k in unregistered_kwargs(r)]
    assert not problems, "\n".join(problems)
    assert set(MISSING_VALUE) == set(KWARGS), "every KWARGS entry needs a MISSING_VALUE"


def test_every_route_is_a_plain_path():
    regex = [r.path for r in all_routes() if r.is_regex]
    assert not regex, f"re_path routes cannot be filled by the scope walk: {regex}"


# ----------------------------------------------------------------------- anonymous


@pytest.mark.django_db
def test_anonymous_requests_never_get_data(world, client):
    problems = []
    for route in all_routes():
        if unregistered_kwargs(route):
            problems += [register_hint(route, k) for k in unregistered_kwargs(route)]
            continue
        for filled in fill(route, world, world.a)[:1] or [Filled((), {})]:
            url = route.url(filled.values)
            got = fetch(client, url)
            if route.public:
                if got.status != 200:
                    problems.append(f"public route {url} answered {got.status} {got.error}")
                if "哨兵" in got.body:
                    problems.append(f"public route {url} shows world data")
                continue
            redirected_to_login = got.status == 302 and got.location.startswith(LOGIN_PATH)
            if not (redirected_to_login or got.status in (401, 403, 404)):
                problems.append(
                    f"anonymous {got.method} {url} answered {got.status} "
                    f"(location {got.location!r}) {got.error}: only the public routes "
                    f"{sorted(PUBLIC_ROUTES)} may answer without login"
                )
            if "哨兵" in got.body:
                problems.append(f"anonymous {got.method} {url} shows world data")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- object routes


@pytest.mark.django_db
@pytest.mark.parametrize("actor_key", list(ACTORS))
def test_object_routes_answer_by_scope(world, login, client, actor_key):
    """Every route with URL keywords, both counties' objects, one role per test."""
    actor = ACTORS[actor_key]
    login(actor.user(world))
    problems: list[str] = []
    for route in object_routes():
        missing_kwargs = unregistered_kwargs(route)
        if missing_kwargs:
            problems += [register_hint(route, k) for k in missing_kwargs]
            continue
        extra = EXTRA_ACTIONS.get(route.name, ())
        for county_key in ("a", "b"):
            county = getattr(world, county_key)
            for filled in fill(route, world, county):
                exp = expect(actor, route.required_action, extra, county_key, filled.kinds)
                problems += check_object_route(client, world, actor, route, county_key, filled, exp)
    assert not problems, report(problems, actor)


def check_object_route(
    client: Any,
    world: Any,
    actor: Actor,
    route: Route,
    county_key: str,
    filled: Filled,
    exp: Expectation,
) -> list[str]:
    problems: list[str] = []
    url = route.url(filled.values)
    what = f"{route.name} county {county_key.upper()} {'+'.join(filled.kinds)} {url}"
    before = denied_count()
    got = fetch(client, url)
    audited = denied_count() - before
    where = f"{got.method} {what}"
    if got.error:
        problems.append(f"{where} crashed: {got.error}")
        return problems
    reveal_ok = got.method == "POST" and exp.outcome == ALLOW
    found = leaks(actor, got.body, world, id_numbers_ok=reveal_ok)
    if found:
        problems.append(f"LEAK {where} ({got.status}) shows {found}")
    ok_allow = {200} if got.method == "GET" else {200, 302}
    if got.status == 302 and got.location.startswith(LOGIN_PATH):
        problems.append(f"{where} sent a logged-in user to the login page")
    elif got.status == 302:
        client.get(got.location)  # shows (and so consumes) the flash message of the POST
    elif exp.outcome == ALLOW and got.status not in ok_allow:
        problems.append(
            f"{where} answered {got.status}, expected {sorted(ok_allow)}: the role holds "
            f"{route.required_action} and the object is in its scope"
        )
    elif exp.outcome == DENY and got.status not in (403, 404):
        label = "LEAK" if got.status == 200 else "unexpected"
        problems.append(f"{label} {where} answered {got.status}, expected 403 or 404")
    elif exp.outcome == EITHER and got.status not in (200, 404):
        problems.append(f"{where} answered {got.status}, expected 200 or 404")
    if not exp.compare_with_missing or got.status not in (403, 404):
        return problems
    # An out-of-reach object answers exactly like one that does not exist.
    missing = {k: MISSING_VALUE[k] for k in route.kwargs}
    missing_url = route.url(missing)
    before = denied_count()
    other = fetch(client, missing_url)
    audited_missing = denied_count() - before
    if other.method != got.method or other.status != got.status:
        problems.append(
            f"{where} answered {got.status} but a missing object ({missing_url}) "
            f"answered {other.status}: forbidden and missing must look alike"
        )
    elif normalised(got.body, url) != normalised(other.body, missing_url):
        problems.append(
            f"{where}: the page differs from a missing object's ({missing_url}): "
            + first_difference(normalised(got.body, url), normalised(other.body, missing_url))
        )
    if exp.scope_denial:
        if audited < 1:
            problems.append(f"{where}: out-of-scope access left no permission.denied entry")
        if audited_missing:
            problems.append(f"{missing_url}: a missing object was audited as a denial")
    return problems


# ----------------------------------------------------------------- list routes


def tampered_queries(world: Any) -> list[dict[str, Any]]:
    b = world.b
    return [
        {},
        {"school": b.school.pk},
        {"class": b.klass.pk},
        {"region": b.code},
        {"region": b.code[:4]},
        {"region": "41"},
        {"q": "乙"},
        {"school": b.school.pk, "class": b.klass.pk, "region": b.code, "page": 2},
        {"type": "218", "tp": "only", "region": b.code},
        {"user": b.users["county_officer"].username},
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("actor_key", list(ACTORS))
def test_list_routes_never_show_other_scopes(world, login, client, actor_key):
    """Every route without URL keywords, with and without tampered query strings."""
    actor = ACTORS[actor_key]
    login(actor.user(world))
    problems: list[str] = []
    for route in list_routes():
        action_ok = route.required_action is None or route.required_action in actor.actions
        for query in tampered_queries(world):
            url = route.url() + (f"?{urlencode(query)}" if query else "")
            got = fetch(client, url, follow=True, post_if_405=False)
            if got.status == 405:  # POST-only (logout, account creation)
                if not action_ok:
                    posted = fetch(client, route.url(), follow=False)
                    if posted.status != 403:
                        problems.append(
                            f"POST {route.url()} answered {posted.status} to a role without "
                            f"{route.required_action}, expected 403"
                        )
                break
            if got.error:
                problems.append(f"GET {url} crashed: {got.error}")
                break
            found = leaks(actor, got.body, world)
            if found:
                problems.append(f"LEAK GET {url} ({got.status}) shows {found}")
            if action_ok and got.status not in (200, 404):
                problems.append(f"GET {url} answered {got.status} to a role holding the action")
            if not action_ok and got.status != 403:
                label = "LEAK" if got.status == 200 else "unexpected"
                problems.append(
                    f"{label} GET {url} answered {got.status} to a role without "
                    f"{route.required_action}, expected 403"
                )
    assert not problems, report(problems, actor)


# What each role must see on its list pages (where it can see county A's data).
ENTITLED: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    # actor, path, must show, must not show
    ("county_officer", "/", ("中原区", ">1<", ">2<"), ()),
    ("county_officer", "/schools/", ("甲哨兵实验小学", "甲哨兵村教学点"), ()),
    ("county_officer", "/people/students/", ("甲哨兵学生", "甲哨兵同校生"), ()),
    ("county_officer", "/people/teachers/", ("甲哨兵教师",), ()),
    ("county_officer", "/regions/", ("中原区", "甲哨兵实验小学"), ()),
    ("county_officer", "/schools/export.csv", ("甲哨兵实验小学", "甲哨兵村教学点"), ()),
    ("city_officer", "/", ("郑州市", "中原区"), ()),
    ("city_officer", "/schools/", ("甲哨兵实验小学", "甲哨兵村教学点"), ()),
    ("city_officer", "/people/students/", ("甲哨兵学生", "甲哨兵同校生"), ()),
    ("city_officer", "/regions/", ("郑州市", "中原区"), ()),
    ("province_officer", "/", ("河南省", "郑州市", "开封市"), ()),
    ("province_officer", "/schools/", ("甲哨兵实验小学", "乙哨兵实验小学"), ()),
    ("province_officer", "/people/students/", ("甲哨兵学生", "乙哨兵学生"), ()),
    ("province_officer", "/regions/", ("河南省", "郑州市", "开封市"), ()),
    ("other_province_officer", "/", ("湖北省",), ()),
    ("school_admin", "/", ("甲哨兵实验小学",), ()),
    ("school_admin", "/schools/", ("甲哨兵实验小学", "甲哨兵村教学点"), ()),
    ("school_admin", "/people/students/", ("甲哨兵学生", "甲哨兵同校生"), ()),
    ("school_admin", "/people/teachers/", ("甲哨兵教师",), ()),
    ("teacher", "/", ("三年级（1）班",), ("四年级（2）班",)),
    ("teacher", "/people/students/", ("甲哨兵学生",), ("甲哨兵同校生",)),
    ("teacher", "/people/teachers/", ("甲哨兵教师",), ()),
    ("teacher", "/schools/", ("甲哨兵实验小学",), ()),
    ("student", "/", ("甲哨兵实验小学",), ()),
    ("student", "/people/students/", ("甲哨兵学生",), ("甲哨兵同校生",)),
    ("parent", "/", ("甲哨兵学生", "甲哨兵实验小学"), ()),
    ("parent", "/people/students/", ("甲哨兵学生",), ("甲哨兵同校生",)),
    ("system_admin", "/schools/", ("甲哨兵实验小学", "乙哨兵实验小学"), ()),
    ("system_admin", "/regions/", ("河南省",), ()),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor_key", "path", "must_show", "must_not_show"),
    ENTITLED,
    ids=[f"{a}-{p}" for a, p, *_ in ENTITLED],
)
def test_list_pages_show_what_the_role_is_entitled_to(
    world, login, client, actor_key, path, must_show, must_not_show
):
    actor = ACTORS[actor_key]
    login(actor.user(world))
    got = fetch(client, path, follow=True)
    assert got.status == 200, f"{actor_key} GET {path} answered {got.status} {got.error}"
    absent = [s for s in must_show if s not in got.body]
    assert not absent, f"{actor_key} GET {path} does not show {absent}"
    shown = [s for s in (*must_not_show, *actor.forbidden_text) if s in got.body]
    assert not shown, f"LEAK: {actor_key} GET {path} shows {shown}"


@pytest.mark.django_db
@pytest.mark.parametrize("actor_key", list(ACTORS))
def test_every_nav_link_works_for_every_role(world, login, client, actor_key):
    """A link the navigation offers a role must open (no 403/404 behind a menu item)."""
    actor = ACTORS[actor_key]
    login(actor.user(world))
    response = client.get("/")
    assert response.status_code == 200
    broken = []
    for item in response.context["nav_items"]:
        got = fetch(client, item["url"], follow=True)
        if got.status != 200:
            broken.append(f"{item['label']} {item['url']} → {got.status} {got.error}")
    assert not broken, f"navigation of {actor_key} offers broken links: {broken}"


# ------------------------------------------------------- forbidden equals missing


@pytest.mark.django_db
def test_forbidden_school_answers_like_a_missing_one_and_only_it_is_audited(world, login, client):
    login(world.a.users["county_officer"])
    forbidden_url = f"/schools/{world.b.school.pk}/"
    missing_url = "/schools/999999999/"

    before = denied_count()
    forbidden = client.get(forbidden_url)
    after_forbidden = denied_count()
    missing = client.get(missing_url)
    after_missing = denied_count()

    assert forbidden.status_code == missing.status_code == 404
    forbidden_body = forbidden.content.decode()
    missing_body = missing.content.decode()
    assert "乙哨兵实验小学" not in forbidden_body
    assert "乙哨兵实验小学" not in missing_body
    assert normalised(forbidden_body, forbidden_url) == normalised(missing_body, missing_url)
    assert after_forbidden == before + 1, "the forbidden request was not audited"
    assert after_missing == after_forbidden, "the missing request was audited as a denial"
    entry = AuditEntry.objects.filter(action="permission.denied").latest("id")
    assert entry.result == "denied"
    assert entry.target_id == str(world.b.school.pk)
    assert entry.actor_username == world.a.users["county_officer"].username


# ------------------------------------------------------------------ query counts

# Every logged-in request spends 7 queries before the view runs: session, user, the
# role codes, the role assignments for the scope, and the idle-timeout stamp written
# back to the session (savepoint, update, release). Region pages add the breadcrumb,
# the agency and the child-region rollups.
MAX_QUERIES = 15
MAX_QUERIES_REGION_PAGE = 18


def add_rows(world: Any, n: int = 30) -> None:
    """n more schools, students, teachers, accounts and audit entries in county A."""
    from eduplus.core.audit import audit_record
    from eduplus.schools.services import school_headcounts_refresh

    a = world.a
    for i in range(n):
        school = f.SchoolFactory(name=f"甲哨兵加测{i}小学", region=f.region(a.code))
        f.TeacherFactory(school=school)
        f.StudentFactory(klass=a.klass)
        f.StudentFactory(klass=a.other_class)
        f.TeacherFactory(school=a.school)
        f.user_with_role("school_admin", school=school)
        audit_record(actor=None, action="auth.login", result="failure", username=f"x{i}")
    f.SchoolFactory(region=f.region("4101"))  # placed directly at the city level
    school_headcounts_refresh()


QUERY_PAGES = [
    ("county_officer", "/"),
    ("county_officer", "/schools/"),
    ("county_officer", "/people/students/"),
    ("county_officer", "/people/teachers/"),
    ("county_officer", "/regions/410102/"),
    ("city_officer", "/regions/4101/"),
    ("province_officer", "/"),
    ("province_officer", "/regions/41/"),
    ("province_officer", "/schools/"),
    ("school_admin", "/"),
    ("school_admin", "/people/students/"),
    ("teacher", "/"),
    ("teacher", "/people/students/"),
    ("parent", "/"),
    ("system_admin", "/accounts/"),
    ("audit_admin", "/audit/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor_key", "path"), QUERY_PAGES, ids=[f"{a}-{p}" for a, p in QUERY_PAGES]
)
def test_list_page_queries_do_not_grow_with_rows(
    world, login, client, django_assert_max_num_queries, actor_key, path
):
    login(ACTORS[actor_key].user(world))
    client.get(path)  # settle the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    add_rows(world)
    budget = MAX_QUERIES_REGION_PAGE if path.startswith("/regions/") else MAX_QUERIES
    with django_assert_max_num_queries(budget) as many:
        response = client.get(path)
    assert response.status_code == 200
    assert len(many.captured_queries) <= len(few.captured_queries), (
        f"{actor_key} GET {path}: {len(few.captured_queries)} queries with the world, "
        f"{len(many.captured_queries)} with 30 more rows of each kind (N+1?):\n"
        + "\n".join(q["sql"][:160] for q in many.captured_queries)
    )
