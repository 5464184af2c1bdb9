"""Chinese text to search tokens: character bigrams plus jieba words.

Why bigrams: a two-character query (数学, 勾股) must find every resource whose text
contains it. Word segmentation alone misses them (jieba cuts 勾股定理 as one word) and a
trigram index cannot answer a two-character query at all. Every pair of adjacent Han
characters is therefore a token; a query whose characters occur contiguously in a text
has all its bigrams among the text's tokens, so matching the AND of the query's bigrams
never misses a substring match (recall 100 %).

Why jieba words as well: they add whole words of three or more characters (勾股定理,
七年级) and repeat two-character words, so that a resource where the query is a word
ranks above one where the same characters straddle two words. In a query they are
optional (they raise the rank but never filter), because jieba may cut the same
characters differently in a longer context.

Other rules:
* text is NFKC-normalised (full-width letters and digits become ASCII) and lower-cased;
* Latin words and numbers are whole tokens; in a query the last one also matches as a
  prefix (typing "uni" finds "unit");
* the last character of every Han run is also a one-character token, so a
  one-character query (a prefix query on that character) finds every occurrence;
* tokens that start with ``zz`` are reserved for facet filters (see ``facet_token``)
  and never come from a user's query.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jieba

jieba.setLogLevel(logging.WARNING)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3007"
_RUNS = re.compile(rf"([{_HAN}]+)|([^\W_{_HAN}]+)")
FACET_PREFIX = "zz"
MAX_QUERY_CHARS = 64


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=200_000)
def _han_tokens(run: str) -> tuple[str, ...]:
    """Bigrams, the final character, and jieba words of two or more characters."""
    if len(run) == 1:
        return (run,)
    tokens = [run[i : i + 2] for i in range(len(run) - 1)]
    tokens.append(run[-1])
    tokens.extend(w for w in jieba.lcut(run, HMM=False) if len(w) >= 2)
    return tuple(tokens)


def text_tokens(text: str) -> list[str]:
    """The index tokens of a text, in order, with repeats."""
    out: list[str] = []
    for han, word in _RUNS.findall(normalise(text)):
        if han:
            out.extend(_han_tokens(han))
        elif not word.startswith(FACET_PREFIX):
            out.append(word)
    return out


def index_text(*texts: str) -> str:
    """The space-separated tokens of some texts, as stored in the search index."""
    return " ".join(t for text in texts if text for t in text_tokens(text))


def facet_token(kind: str, value: object) -> str:
    """A reserved token naming a facet value, e.g. ``zzsubjectmath``, ``zznode42``."""
    return FACET_PREFIX + kind + re.sub(r"[^0-9a-z]", "", str(value).lower())


# Every document holds it: browsing without a query or filter matches everything.
ALL_TOKEN = facet_token("all", "")


@dataclass(frozen=True)
class QueryTokens:
    """A query as tokens: all ``required`` must match (AND); ``prefix`` tokens match as
    prefixes (AND); ``boost`` tokens raise the rank of rows that contain them."""

    required: tuple[str, ...] = ()
    prefix: tuple[str, ...] = ()
    boost: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.required or self.prefix)


def query_tokens(query: str) -> QueryTokens:
    """Turn what a user typed into tokens (no phrases: every token on its own)."""
    required: list[str] = []
    prefix: list[str] = []
    boost: list[str] = []
    runs = _RUNS.findall(normalise(query[:MAX_QUERY_CHARS]))
    for i, (han, word) in enumerate(runs):
        if han:
            if len(han) == 1:
                prefix.append(han)
                continue
            required.extend(han[j : j + 2] for j in range(len(han) - 1))
            boost.extend(w for w in jieba.lcut(han, HMM=False) if len(w) >= 3)
        elif word and not word.startswith(FACET_PREFIX):
            (prefix if i == len(runs) - 1 else required).append(word)
    return QueryTokens(
        required=tuple(dict.fromkeys(required)),
        prefix=tuple(t for t in dict.fromkeys(prefix) if t not in required),
        boost=tuple(t for t in dict.fromkeys(boost) if t not in required),
    )
