"""The one scoping primitive (数据范围).

Every list, detail, export and API endpoint reads scoped data through
``Model.objects.visible_to(user)`` and fetches a single object through
``access_object(user, Model, ...)``, which answers 404 for an object that is missing
and for one that exists outside the user's scope alike (the latter is audited as a
permission denial).

A model declares how it reaches the region tree, a school, a class and a person in
``scope_fields``; a user's :class:`Scope` (built from their role assignments by the
accounts app) turns that declaration into one ``Q`` filter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404

if TYPE_CHECKING:
    from django.http import HttpRequest

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class ScopeFields:
    """How a model reaches the things a scope is made of (field paths, or None).

    ``personal`` marks records about a person (学生, 教师): those are reached only
    through personal grants, never through the organisational visibility that, for
    example, a teacher has of their own school's profile.
    """

    region: str | None = None
    school: str | None = None
    klass: str | None = None
    person: str | None = None
    personal: bool = False


@dataclass(frozen=True)
class Scope:
    """What one user may see. Built once per request from role assignments."""

    # Personal grants: everything (people included) in these region subtrees / schools.
    region_codes: frozenset[str] = frozenset()
    school_ids: frozenset[int] = frozenset()
    class_ids: frozenset[int] = frozenset()
    person_ids: frozenset[int] = frozenset()
    # Organisational grants: regions and school profiles only, never people.
    org_region_codes: frozenset[str] = frozenset()
    org_school_ids: frozenset[int] = frozenset()
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        return not (
            self.region_codes
            or self.school_ids
            or self.class_ids
            or self.person_ids
            or self.org_region_codes
            or self.org_school_ids
        )

    def q_for(self, fields: ScopeFields) -> Q:
        regions = set(self.region_codes)
        schools = set(self.school_ids)
        if not fields.personal:
            regions |= self.org_region_codes
            schools |= self.org_school_ids
        q = Q(pk__in=[])
        if fields.region:
            for code in sorted(minimal_prefixes(regions)):
                q |= region_subtree_q(fields.region, code)
        if fields.school and schools:
            q |= Q(**{f"{fields.school}__in": sorted(schools)})
        if fields.klass and self.class_ids:
            q |= Q(**{f"{fields.klass}__in": sorted(self.class_ids)})
        if fields.person and self.person_ids:
            q |= Q(**{f"{fields.person}__in": sorted(self.person_ids)})
        return q

    def covers_region(self, code: str, *, personal: bool = False) -> bool:
        regions = self.region_codes if personal else self.region_codes | self.org_region_codes
        return any(code.startswith(r) for r in regions)


EMPTY_SCOPE = Scope()


def minimal_prefixes(codes: Iterable[str]) -> set[str]:
    """Drop codes already covered by a shorter one (41 covers 4101)."""
    result: set[str] = set()
    for code in sorted(codes, key=len):
        if not any(code.startswith(p) for p in result):
            result.add(code)
    return result


def region_subtree_upper_bound(code: str) -> str:
    """The smallest string above every code that starts with ``code``.

    GB/T 2260 codes nest by prefix (41 → 4101 → 410102), so a subtree is the string
    range [code, upper): an index range scan on SQLite and PostgreSQL alike.
    """
    if not code:
        raise ValueError("empty region code")
    upper = prefix_upper_bound(code)
    if upper is None:
        raise ValueError(f"bad region code {code!r}")
    return upper


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string that starts with ``prefix`` (non-empty),
    in code point order (SQLite's, and UTF-8's byte order); ``None`` when the last
    character is the highest there is (no bound is needed)."""
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates are no characters: skip them
        following = 0xE000
    return prefix[:-1] + chr(following) if following <= 0x10FFFF else None


def region_subtree_q(field_path: str, code: str) -> Q:
    return Q(**{f"{field_path}__gte": code, f"{field_path}__lt": region_subtree_upper_bound(code)})


class ScopedUser(Protocol):
    is_authenticated: bool

    def get_scope(self) -> Scope: ...


def scope_for(user: Any) -> Scope:
    """The user's scope, computed once and kept on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return EMPTY_SCOPE
    cached = getattr(user, "_eduplus_scope", None)
    if cached is None:
        cached = user.get_scope()
        user._eduplus_scope = cached
    return cached


class ScopedQuerySet(models.QuerySet[M], Generic[M]):
    def visible_to(self, user: Any) -> ScopedQuerySet[M]:
        fields: ScopeFields | None = getattr(self.model, "scope_fields", None)
        if fields is None:
            raise TypeError(f"{self.model.__name__} declares no scope_fields")
        scope = scope_for(user)
        if scope.is_empty:
            return self.none()
        return self.filter(scope.q_for(fields))


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def access_object(
    user: Any,
    queryset: models.QuerySet[M] | type[M],
    *,
    request: HttpRequest | None = None,
    **lookup: Any,
) -> M:
    """Fetch one object the user may see, or raise Http404.

    A missing object and a forbidden one answer alike; the forbidden case is recorded
    in the audit log as a permission denial.
    """
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        return qs.visible_to(user).get(**lookup)  # type: ignore[attr-defined, no-any-return]
    except (ObjectDoesNotExist, ValueError, TypeError):
        pass
    try:
        exists = qs.filter(**lookup).exists()
    except (ValueError, TypeError):
        exists = False
    if exists:
        from eduplus.core.audit import audit_record  # local: audit imports models

        audit_record(
            actor=user if getattr(user, "is_authenticated", False) else None,
            action="permission.denied",
            target_type=qs.model._meta.label_lower,
            target_id=str(next(iter(lookup.values()), "")),
            result="denied",
            request=request,
        )
    raise Http404("not found")
