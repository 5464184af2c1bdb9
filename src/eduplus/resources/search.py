"""The full-text index of published resources, on SQLite (FTS5) or PostgreSQL (tsvector).

What is indexed: one document per *published* resource, three token columns built by
``tokens.index_text`` — the title; the body (description, the names of the catalog
path 学段 … 课节, topic names, the resource type); and reserved facet tokens (stage,
subject, edition, grade, type, every catalog node on the path, topics) so that facet
filters are part of the match. The services keep it in step: publishing adds the
document, an edit replaces it, a withdrawal removes it, a download that changes the
rank moves it (see ``services.py``). ``services.search_index_rebuild`` rebuilds it all.

Index keys. Each document carries its resource's static rank (quality and downloads,
``models.rank_score``) and a code of its facet values (``facet_code``), so that the
index alone can list matches best-first and count them by facet:

* SQLite: the FTS5 rowid is ``rank << 52 | facet code << 32 | resource id`` (11, 20 and
  32 bits); ``ORDER BY rowid DESC LIMIT n`` reads only the first n matches of the
  doclists, and facet counts group the matching rowids without reading a resource row
  (24 ms instead of 585 ms for 150,000 matches, measured);
* PostgreSQL: ``rank`` and ``facets`` columns beside the ``tsvector``; a GIN index answers
  the match and a B-tree on ``(rank DESC, resource_id DESC)`` orders it.

A search first lists the matching rowids in ascending order up to ``COUNT_CAP`` + 1:
that is the count, and unless it is capped it holds every match, so the window is its
highest rowids, read by key; only a capped search reads the window with a descending
pass. The best ``WINDOW`` matches by static rank are then re-ranked by text relevance blended
with the static rank: ``RELEVANCE_WEIGHT`` × relevance/best relevance + the rest ×
rank/1000. With fewer matches than the window the ranking is exact; with more, results
beyond the window follow the static rank. Facet counts come from the index alone; a
resource's ``search_key`` says where its document is, and a trigger removes the
document when the resource row is deleted (migration 0002).

Relevance is BM25 on SQLite and ``ts_rank`` on PostgreSQL (title A 1.0, body B 0.25,
facets D 0). On SQLite it is computed here, over the window's stored token text (BM25F:
title ×4, body ×1, k1 1.2, b 0.75), not by FTS5's ``bm25()``: that function counts every
match of every query token to get their idf before ranking a single row, which took
15–25 ms for a token such as 年级 (750,000 matches in a million resources) and blew the
latency budget; here a token's document frequency is counted by the index up to 0.1 %
of the collection (idf saturates there: such tokens weigh alike) and cached.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils import translation

from eduplus.resources.models import (
    RANK_MAX,
    CatalogNode,
    Edition,
    Grade,
    Resource,
    ResourceStatus,
    ResourceType,
    Stage,
    Subject,
    Topic,
)
from eduplus.resources.tokens import ALL_TOKEN, QueryTokens, facet_token, index_text

WINDOW = 200
COUNT_CAP = 1000
# BM25F parameters of the SQLite relevance (see the module docstring).
K1 = 1.2
B = 0.75
TITLE_WEIGHT = 4.0
DF_TTL = 3600
RELEVANCE_WEIGHT = 0.7
RANK_NORMAL = 1000
_ID_BITS = 32
_ID_MASK = (1 << _ID_BITS) - 1
_FACET_BITS = 20
_FACET_MASK = (1 << _FACET_BITS) - 1
_RANK_SHIFT = _ID_BITS + _FACET_BITS
FACET_COLUMNS = ("stage", "subject", "edition", "grade", "resource_type")
# Bits of each facet in a facet code; a value's code is its position in the model's
# choices + 1 (0: none). New choices go at the end; reordering needs a reindex.
_FACET_FIELDS: tuple[tuple[str, Any, int], ...] = (
    ("stage", Stage, 2),
    ("subject", Subject, 5),
    ("edition", Edition, 6),
    ("grade", Grade, 4),
    ("resource_type", ResourceType, 3),
)
# Facet counts are cached under this version; every change of the published set bumps it.
FACETS_VERSION_KEY = "resources:facets:version"


# ------------------------------------------------------------------------ documents


def facet_code(
    stage: str, subject: str, edition: str, grade: int | None, resource_type: str
) -> int:
    """The facet values of a resource packed into 20 bits (see ``_FACET_FIELDS``)."""
    code = 0
    for (_name, choices, bits), value in zip(
        _FACET_FIELDS, (stage, subject, edition, grade, resource_type), strict=True
    ):
        position = choices.values.index(value) + 1 if value in choices.values else 0
        code = (code << bits) | position
    return code


def facet_values(code: int) -> tuple[Any, ...]:
    """The inverse of :func:`facet_code`: (stage, subject, edition, grade, type)."""
    values: list[Any] = []
    for _name, choices, bits in reversed(_FACET_FIELDS):
        position = code & ((1 << bits) - 1)
        code >>= bits
        values.append(choices.values[position - 1] if position else None)
    return tuple(reversed(values))


@dataclass(frozen=True)
class IndexKey:
    """Where a resource's document sits in the index."""

    resource_id: int
    rank: int
    facets: int

    @property
    def rowid(self) -> int:
        return (self.rank << _RANK_SHIFT) | (self.facets << _ID_BITS) | self.resource_id

    @classmethod
    def of_rowid(cls, rowid: int) -> IndexKey:
        return cls(rowid & _ID_MASK, rowid >> _RANK_SHIFT, (rowid >> _ID_BITS) & _FACET_MASK)


def index_key(resource: Resource) -> IndexKey:
    return IndexKey(
        resource.pk,
        min(resource.rank, RANK_MAX),
        facet_code(
            resource.stage,
            resource.subject,
            resource.edition,
            resource.grade,
            resource.resource_type,
        ),
    )


@dataclass(frozen=True)
class Document:
    key: IndexKey
    title: str
    body: str
    facets: str


class CatalogPaths:
    """Names and ids of every node's path from the root, loaded once per operation."""

    def __init__(self, nodes: Iterable[tuple[int, str, str]]) -> None:
        rows = list(nodes)
        by_path = {path: (pk, name) for pk, path, name in rows}
        self._chain: dict[int, list[tuple[int, str]]] = {}
        for pk, path, _name in rows:
            parts = path.split("/")
            self._chain[pk] = [
                by_path[p]
                for p in ("/".join(parts[: i + 1]) for i in range(len(parts)))
                if p in by_path
            ]

    @classmethod
    def load(cls, node_ids: Iterable[int] | None = None) -> CatalogPaths:
        qs = CatalogNode.objects.all()
        if node_ids is not None:
            paths = list(CatalogNode.objects.filter(pk__in=list(node_ids)).values_list("path"))
            prefixes = {
                "/".join(p[0].split("/")[: i + 1])
                for p in paths
                for i in range(p[0].count("/") + 1)
            }
            qs = qs.filter(path__in=prefixes)
        return cls(qs.values_list("id", "path", "name"))

    def names(self, node_id: int | None) -> list[str]:
        return [name for _pk, name in self._chain.get(node_id or 0, [])]

    def ids(self, node_id: int | None) -> list[int]:
        return [pk for pk, _name in self._chain.get(node_id or 0, [])]


def _zh(label: Any) -> str:
    """The Chinese label whatever the request's language: the index is one language."""
    with translation.override("zh-hans"):
        return str(label)


def document(
    *,
    resource_id: int,
    rank: int,
    title: str,
    description: str,
    resource_type: str,
    stage: str,
    subject: str,
    edition: str,
    grade: int | None,
    node_id: int | None,
    topics: Sequence[tuple[int, str]],
    catalog: CatalogPaths,
) -> Document:
    type_name = _zh(ResourceType(resource_type).label)
    body = index_text(
        description, " ".join(catalog.names(node_id)), " ".join(n for _i, n in topics), type_name
    )
    facets = [ALL_TOKEN, facet_token("type", resource_type)]
    facets += [
        facet_token(kind, v)
        for kind, v in (
            ("stage", stage),
            ("subject", subject),
            ("edition", edition),
            ("grade", grade),
        )
        if v
    ]
    facets += [facet_token("node", pk) for pk in catalog.ids(node_id)]
    facets += [facet_token("topic", pk) for pk, _name in topics]
    key = IndexKey(
        resource_id,
        min(rank, RANK_MAX),
        facet_code(stage, subject, edition, grade, resource_type),
    )
    return Document(key, index_text(title), body, " ".join(facets))


def document_for(resource: Resource, catalog: CatalogPaths | None = None) -> Document:
    catalog = catalog or CatalogPaths.load([resource.node_id] if resource.node_id else [])
    return document(
        resource_id=resource.pk,
        rank=resource.rank,
        title=resource.title,
        description=resource.description,
        resource_type=resource.resource_type,
        stage=resource.stage,
        subject=resource.subject,
        edition=resource.edition,
        grade=resource.grade,
        node_id=resource.node_id,
        topics=list(resource.topics.values_list("id", "name")),
        catalog=catalog,
    )


def filter_tokens(
    *,
    stage: str = "",
    subject: str = "",
    edition: str = "",
    grade: int | None = None,
    resource_type: str = "",
    node_id: int | None = None,
    topic_id: int | None = None,
) -> list[str]:
    """The facet tokens a filtered search must match."""
    pairs: list[tuple[str, object]] = [
        ("stage", stage),
        ("subject", subject),
        ("edition", edition),
        ("grade", grade),
        ("type", resource_type),
        ("node", node_id),
        ("topic", topic_id),
    ]
    return [facet_token(kind, value) for kind, value in pairs if value]


@dataclass(frozen=True)
class Match:
    """What a search matches: the query's tokens and the facet filters' tokens. Without
    either it matches every document (browsing)."""

    tokens: QueryTokens
    filters: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.tokens.is_empty and not self.filters:
            object.__setattr__(self, "filters", (ALL_TOKEN,))

    @property
    def has_text(self) -> bool:
        return not self.tokens.is_empty


@dataclass(frozen=True)
class Hit:
    resource_id: int
    rank: int
    relevance: float


def bm25f(docs: Sequence[tuple[str, str]], terms: Sequence[tuple[str, bool, float]]) -> list[float]:
    """BM25F of token texts (space-separated, as indexed) for weighted terms.

    ``terms``: (token, is prefix, idf). A prefix term counts the tokens that start with it.
    Length normalisation is relative to the documents scored together.
    """
    if not docs:
        return []
    padded = [(" " + title + " ", " " + body + " ") for title, body in docs]
    lengths = [TITLE_WEIGHT * t.count(" ") + b.count(" ") for t, b in padded]
    average = sum(lengths) / len(lengths) or 1.0
    scores = []
    for (title, body), length in zip(padded, lengths, strict=True):
        norm = K1 * (1 - B + B * length / average)
        score = 0.0
        for token, prefix, idf in terms:
            needle = " " + token if prefix else " " + token + " "
            tf = TITLE_WEIGHT * title.count(needle) + body.count(needle)
            if tf:
                score += idf * tf * (K1 + 1) / (tf + norm)
        scores.append(score)
    return scores


def published_count() -> int:
    """The number of published resources (BM25's N), cached for a few minutes."""
    n = cache.get("resources:published_count")
    if n is None:
        n = Resource.objects.published().count()
        cache.set("resources:published_count", n, 300)
    return int(n)


def blend(hits: Sequence[Hit]) -> list[Hit]:
    """Order a window of hits by relevance blended with the static rank."""
    best = max((h.relevance for h in hits), default=0.0) or 1.0

    def score(h: Hit) -> tuple[float, int, int]:
        s = RELEVANCE_WEIGHT * h.relevance / best
        s += (1 - RELEVANCE_WEIGHT) * min(1.0, h.rank / RANK_NORMAL)
        return (-s, -h.rank, -h.resource_id)

    return sorted(hits, key=score)


# ------------------------------------------------------------------------- backends


class Backend:
    """One vendor's index. Methods run on the default connection, in its transaction."""

    def add(self, docs: Sequence[Document]) -> None:
        raise NotImplementedError

    def remove(self, keys: Sequence[IndexKey]) -> None:
        """Remove documents by their keys (as they were when indexed)."""
        raise NotImplementedError

    def rerank(self, old: IndexKey, rank: int) -> bool:
        """Move a document to a new rank; False if it was not found under ``old``."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def optimize(self) -> None:
        """After a rebuild: merge the index (SQLite) or refresh the statistics (PostgreSQL)."""
        raise NotImplementedError

    def window(self, match: Match, limit: int) -> list[Hit]:
        """The first ``limit`` published matches by static rank, with their relevance."""
        raise NotImplementedError

    def window_and_count(self, match: Match, limit: int, cap: int) -> tuple[list[Hit], int]:
        """The window, and the number of matches counted up to ``cap + 1``."""
        hits = self.window(match, limit)
        return hits, (self.count(match, cap) if len(hits) >= limit else len(hits))

    def static_ids(self, match: Match, offset: int, limit: int) -> list[int]:
        """Published matches by static rank from ``offset`` on (beyond the window)."""
        raise NotImplementedError

    def count(self, match: Match, cap: int) -> int:
        """The number of matches, counted up to ``cap + 1``."""
        raise NotImplementedError

    def facet_counts(self, match: Match) -> list[tuple[int, int]]:
        """(facet code, number of matches) over the matches."""
        raise NotImplementedError

    def facet_rows(self, match: Match) -> list[tuple[Any, ...]]:
        """(stage, subject, edition, grade, type, count) over the matches."""
        return [(*facet_values(code), n) for code, n in self.facet_counts(match)]

    def match_ids(self, match: Match) -> list[int]:
        """Every matching resource id, in no order (the benchmark's recall check)."""
        raise NotImplementedError


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


RESOURCE_TABLE = Resource._meta.db_table
_PUBLISHED = f"'{ResourceStatus.PUBLISHED.value}'"


class SqliteBackend(Backend):
    """FTS5 table ``resources_fts(title, body, facets)``, created by migration 0002."""

    table = "resources_fts"

    @staticmethod
    def expression(match: Match) -> str:
        def q(token: str) -> str:
            return '"' + token.replace('"', '""') + '"'

        t = match.tokens
        parts = [q(x) for x in t.required] + [q(x) + "*" for x in t.prefix]
        parts += [q(x) for x in match.filters]
        # Boost words are not matched: the relevance here is computed from the stored text.
        return " AND ".join(parts)

    def add(self, docs: Sequence[Document]) -> None:
        _execute_many(
            f"INSERT INTO {self.table}(rowid, title, body, facets) VALUES (%s, %s, %s, %s)",  # noqa: S608
            [(d.key.rowid, d.title, d.body, d.facets) for d in docs],
        )

    def remove(self, keys: Sequence[IndexKey]) -> None:
        _execute_many(
            f"DELETE FROM {self.table} WHERE rowid = %s",  # noqa: S608
            [(key.rowid,) for key in keys],
        )

    def rerank(self, old_key: IndexKey, rank: int) -> bool:
        old = old_key.rowid
        new = IndexKey(old_key.resource_id, min(rank, RANK_MAX), old_key.facets).rowid
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.table}(rowid, title, body, facets) "  # noqa: S608
                f"SELECT %s, title, body, facets FROM {self.table} WHERE rowid = %s",
                [new, old],
            )
            if cursor.rowcount == 0:
                return False
            cursor.execute(f"DELETE FROM {self.table} WHERE rowid = %s", [old])  # noqa: S608
        return True

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.table}")  # noqa: S608

    def optimize(self) -> None:
        # One segment per token instead of the dozens bulk inserts leave: measured 50 ms
        # → 8 ms for a first query at a million resources.
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {self.table}({self.table}) VALUES ('optimize')")  # noqa: S608

    def _matches(self, columns: str) -> str:
        return (
            f"SELECT {columns} FROM {self.table} "  # noqa: S608
            f"CROSS JOIN {RESOURCE_TABLE} r ON r.id = ({self.table}.rowid & {_ID_MASK}) "
            f"WHERE {self.table} MATCH %s AND r.status = {_PUBLISHED}"
        )

    def window_and_count(self, match: Match, limit: int, cap: int) -> tuple[list[Hit], int]:
        # One ascending pass over the matching rowids, stopping after ``cap + 1``: it is
        # the count, and when it is not capped it holds every match, so the window is
        # its ``limit`` highest rowids and their text is read by key from the content
        # table. Only a capped count needs the descending pass of ``window`` as well
        # (FTS5 iterates doclists backwards more slowly). Measured at a million
        # resources: 6 ms instead of 9 ms for a query with 175 to 800 matches.
        rowids = [
            r[0]
            for r in _fetch(
                f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH %s LIMIT %s",  # noqa: S608
                [self.expression(match), cap + 1],
            )
        ]
        if len(rowids) > cap:
            return self.window(match, limit), len(rowids)
        top = sorted(rowids, reverse=True)[:limit]
        if not top:
            return [], 0
        marks = ", ".join(["%s"] * len(top))
        text = "c.c0, c.c1" if match.has_text else "'', ''"
        rows = _fetch(
            f"SELECT c.id, {text} FROM {self.table}_content c "  # noqa: S608
            f"JOIN {RESOURCE_TABLE} r ON r.id = (c.id & {_ID_MASK}) "
            f"WHERE c.id IN ({marks}) AND r.status = {_PUBLISHED} ORDER BY c.id DESC",
            top,
        )
        if len(rows) < len(top) < len(rowids):  # stale documents in the way: read on
            return self.window(match, limit), len(rowids)
        hits = self._hits(match, rows)
        return hits, (len(hits) if len(rowids) <= limit else len(rowids))

    def window(self, match: Match, limit: int) -> list[Hit]:
        columns = f"{self.table}.rowid, {self.table}.title, {self.table}.body"
        if not match.has_text:  # browsing: the static rank alone, no text needed
            columns = f"{self.table}.rowid, '', ''"
        rows = _fetch(
            f"{self._matches(columns)} ORDER BY {self.table}.rowid DESC LIMIT %s",
            [self.expression(match), limit],
        )
        return self._hits(match, rows)

    def _hits(self, match: Match, rows: Sequence[tuple[Any, ...]]) -> list[Hit]:
        if match.has_text:
            scores = bm25f([(title, body) for _r, title, body in rows], self._weights(match))
        else:
            scores = [0.0] * len(rows)
        keys = [IndexKey.of_rowid(rowid) for rowid, _t, _b in rows]
        return [
            Hit(key.resource_id, key.rank, score) for key, score in zip(keys, scores, strict=True)
        ]

    def _weights(self, match: Match) -> list[tuple[str, bool, float]]:
        """(token, is prefix, idf) of the query's tokens: required, prefixes, boosts."""
        t = match.tokens
        terms = [(x, False) for x in t.required + t.boost] + [(x, True) for x in t.prefix]
        n = published_count()
        cap = max(100, n // 1000)
        keys = {term: f"resources:df:{cap}:{term[0]}{'*' if term[1] else ''}" for term in terms}
        cached = cache.get_many(list(keys.values()))
        out = []
        for term in terms:
            df = cached.get(keys[term])
            if df is None:
                single = Match(
                    QueryTokens(prefix=(term[0],)) if term[1] else QueryTokens((term[0],))
                )
                df = self.count(single, cap - 1)
                cache.set(keys[term], df, DF_TTL)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            out.append((term[0], term[1], idf))
        return out

    def static_ids(self, match: Match, offset: int, limit: int) -> list[int]:
        sql = self._matches("r.id")
        rows = _fetch(
            f"{sql} ORDER BY {self.table}.rowid DESC LIMIT %s OFFSET %s",
            [self.expression(match), limit, offset],
        )
        return [r[0] for r in rows]

    def count(self, match: Match, cap: int) -> int:
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM {self.table} "  # noqa: S608
            f"WHERE {self.table} MATCH %s LIMIT %s)"
        )
        return int(_fetch(sql, [self.expression(match), cap + 1])[0][0])

    def facet_counts(self, match: Match) -> list[tuple[int, int]]:
        sql = (
            f"SELECT (rowid >> {_ID_BITS}) & {_FACET_MASK} AS code, count(*) "  # noqa: S608
            f"FROM {self.table} WHERE {self.table} MATCH %s GROUP BY code"
        )
        return [(int(code), int(n)) for code, n in _fetch(sql, [self.expression(match)])]

    def match_ids(self, match: Match) -> list[int]:
        sql = f"SELECT rowid & {_ID_MASK} FROM {self.table} WHERE {self.table} MATCH %s"  # noqa: S608
        return [r[0] for r in _fetch(sql, [self.expression(match)])]


class PostgresBackend(Backend):
    """Table ``resources_search(resource_id, rank, facets, document)`` with a GIN index,
    created by migration 0002. The token text is parsed by the 'simple' configuration
    (no stemming, no stop words): each of our tokens is one lexeme."""

    table = "resources_search"
    weights = "'{0, 0, 0.25, 1}'::float4[]"  # D (facets), C, B (body), A (title)

    @staticmethod
    def expression(match: Match) -> str:
        def q(token: str) -> str:
            return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"

        t = match.tokens
        parts = [q(x) for x in t.required] + [q(x) + ":*" for x in t.prefix]
        parts += [q(x) for x in match.filters]
        if t.boost and parts:
            parts.append("(" + " | ".join([*(q(b) for b in t.boost), parts[0]]) + ")")
        return " & ".join(parts)

    def add(self, docs: Sequence[Document]) -> None:
        _execute_many(
            f"INSERT INTO {self.table} (resource_id, rank, facets, document) VALUES (%s, %s, %s, "  # noqa: S608
            "setweight(to_tsvector('simple', %s), 'A') || "
            "setweight(to_tsvector('simple', %s), 'B') || "
            "setweight(to_tsvector('simple', %s), 'D')) "
            "ON CONFLICT (resource_id) DO UPDATE SET rank = EXCLUDED.rank, "
            "facets = EXCLUDED.facets, document = EXCLUDED.document",
            [
                (d.key.resource_id, d.key.rank, d.key.facets, d.title, d.body, d.facets)
                for d in docs
            ],
        )

    def remove(self, keys: Sequence[IndexKey]) -> None:
        if keys:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {self.table} WHERE resource_id = ANY(%s)",  # noqa: S608
                    [[key.resource_id for key in keys]],
                )

    def rerank(self, old_key: IndexKey, rank: int) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self.table} SET rank = %s WHERE resource_id = %s",  # noqa: S608
                [min(rank, RANK_MAX), old_key.resource_id],
            )
            return bool(cursor.rowcount)

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {self.table}")

    def optimize(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {self.table}")

    def _matches(self, columns: str) -> str:
        return (
            f"SELECT {columns} FROM {self.table} s "  # noqa: S608
            f"JOIN {RESOURCE_TABLE} r ON r.id = s.resource_id "
            f"WHERE s.document @@ %s::tsquery AND r.status = {_PUBLISHED}"
        )

    def window(self, match: Match, limit: int) -> list[Hit]:
        sql = self._matches(
            f"s.resource_id, s.rank, ts_rank({self.weights}, s.document, %s::tsquery)"
        )
        expr = self.expression(match)
        rows = _fetch(
            f"{sql} ORDER BY s.rank DESC, s.resource_id DESC LIMIT %s", [expr, expr, limit]
        )
        return [Hit(pk, rank, float(rel)) for pk, rank, rel in rows]

    def static_ids(self, match: Match, offset: int, limit: int) -> list[int]:
        sql = self._matches("s.resource_id")
        rows = _fetch(
            f"{sql} ORDER BY s.rank DESC, s.resource_id DESC LIMIT %s OFFSET %s",
            [self.expression(match), limit, offset],
        )
        return [r[0] for r in rows]

    def count(self, match: Match, cap: int) -> int:
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM {self.table} "  # noqa: S608
            "WHERE document @@ %s::tsquery LIMIT %s) m"
        )
        return int(_fetch(sql, [self.expression(match), cap + 1])[0][0])

    def facet_counts(self, match: Match) -> list[tuple[int, int]]:
        sql = (
            f"SELECT facets, count(*) FROM {self.table} "  # noqa: S608
            "WHERE document @@ %s::tsquery GROUP BY facets"
        )
        return [(int(code), int(n)) for code, n in _fetch(sql, [self.expression(match)])]

    def match_ids(self, match: Match) -> list[int]:
        sql = f"SELECT resource_id FROM {self.table} WHERE document @@ %s::tsquery"  # noqa: S608
        return [r[0] for r in _fetch(sql, [self.expression(match)])]


def backend() -> Backend:
    if connection.vendor == "sqlite":
        return SqliteBackend()
    if connection.vendor == "postgresql":
        return PostgresBackend()
    raise NotImplementedError(f"no resource search on {connection.vendor}")


# ----------------------------------------------------------- used by the services


def store_keys(pairs: Sequence[tuple[int | None, int]]) -> None:
    _execute_many(f"UPDATE {RESOURCE_TABLE} SET search_key = %s WHERE id = %s", pairs)  # noqa: S608


def index_documents(resources: Sequence[Resource]) -> None:
    """Add the documents of published resources and remember their keys."""
    catalog = CatalogPaths.load({r.node_id for r in resources if r.node_id})
    docs = [document_for(r, catalog) for r in resources]
    backend().add(docs)
    store_keys([(d.key.rowid, d.key.resource_id) for d in docs])
    for resource, doc in zip(resources, docs, strict=True):
        resource.search_key = doc.key.rowid


def unindex(resources: Sequence[Resource]) -> None:
    """Remove the documents of resources (as they were indexed)."""
    indexed = [r for r in resources if r.search_key is not None]
    backend().remove([IndexKey.of_rowid(r.search_key) for r in indexed if r.search_key])
    store_keys([(None, r.pk) for r in indexed])
    for resource in indexed:
        resource.search_key = None


def reindex(resources: Sequence[Resource]) -> None:
    """Replace the documents of resources whose metadata changed."""
    unindex(resources)
    index_documents(resources)


def rerank(resource: Resource) -> None:
    """Move a resource's document to its new static rank (after downloads)."""
    if resource.search_key is None:
        index_documents([resource])
        return
    old = IndexKey.of_rowid(resource.search_key)
    new = IndexKey(old.resource_id, min(resource.rank, RANK_MAX), old.facets)
    if new == old:
        return
    if not backend().rerank(old, new.rank):
        index_documents([resource])
        return
    store_keys([(new.rowid, resource.pk)])
    resource.search_key = new.rowid


def topic_pairs(resource_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    through = Resource.topics.through
    pairs: dict[int, list[tuple[int, str]]] = {}
    names = dict(Topic.objects.values_list("id", "name"))
    for rid, tid in through.objects.filter(resource_id__in=list(resource_ids)).values_list(
        "resource_id", "topic_id"
    ):
        pairs.setdefault(rid, []).append((tid, names[tid]))
    return pairs
