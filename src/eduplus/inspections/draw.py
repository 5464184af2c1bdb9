"""The 双随机 draw, algorithm ``eduplus-draw-v1``: deterministic from published inputs.

Anyone can re-run a draw from what a plan publishes (its seed and its inputs) and must
get the identical result. The algorithm uses only HMAC-SHA256 (RFC 2104 / FIPS 180-4),
never Python's ``random`` module, so that it can be re-implemented in any language:

Inputs (published as JSON on the plan's public page):

* ``seed``: 64 hexadecimal digits (256 bits), generated with ``secrets`` at draw time;
* ``schools``: the candidate schools, sorted by code, each ``{"code", "region",
  "parent"}`` (学校标识码, its region code, the code of its central school when it is a
  teaching point, else ``""``);
* ``inspectors``: the active inspectors of the pool, sorted by id, each ``{"id",
  "region", "school", "school_parent"}`` (their home county, their own school's code
  or ``""``, and that school's central school or ``""``);
* ``school_count`` (N) and ``inspectors_per_school`` (M).

Let ``H(text)`` be the lowercase hex HMAC-SHA256 of the UTF-8 ``text`` keyed with the
32 bytes of the seed.

1. Schools: sort the candidates by ``(H("school|" + code), code)`` ascending and take
   the first N, in that order (positions 1..N). Fewer than N candidates is an error.
2. An inspector *conflicts* with a school (回避) when the school's region code starts
   with the inspector's home region code (their own county), or when the sets
   ``{school.code, school.parent}`` and ``{inspector.school, inspector.school_parent}``
   (empty strings removed) intersect (their own school, its teaching points or its
   central school).
3. Inspectors: keep a load counter per inspector, starting at 0. For each drawn school
   in order, take the non-conflicting inspectors, sort them by
   ``(load, H("inspector|" + school code + "|" + str(id)), id)`` ascending, assign the
   first M and add one to their loads. The load keeps the work spread evenly; the hash
   makes the choice among equally loaded inspectors random.
4. If any drawn school has fewer than M non-conflicting inspectors, the draw fails and
   names every such school: it never silently assigns fewer than M.

The result is the list of ``{"position", "school", "inspectors"}`` in draw order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

ALGORITHM = "eduplus-draw-v1"
SEED_RE = re.compile(r"^[0-9a-f]{64}$")


class DrawError(ValueError):
    """The draw cannot be made as asked; ``message`` says why in words for the officer."""

    def __init__(self, message: str, *, uncovered: list[tuple[str, int]] | None = None):
        super().__init__(message)
        self.message = message
        # (school code, number of non-conflicting inspectors) for each uncoverable school
        self.uncovered = uncovered or []


class DrawInputError(ValueError):
    """Published inputs that cannot be read (a pasted JSON with a wrong shape)."""


@dataclass(frozen=True)
class CandidateSchool:
    code: str
    region: str
    parent: str = ""

    def family(self) -> set[str]:
        return {c for c in (self.code, self.parent) if c}


@dataclass(frozen=True)
class CandidateInspector:
    id: int
    region: str
    school: str = ""
    school_parent: str = ""

    def schools(self) -> set[str]:
        return {c for c in (self.school, self.school_parent) if c}


def conflicts(inspector: CandidateInspector, school: CandidateSchool) -> bool:
    """回避: own county, own school (with its teaching points and central school)."""
    if inspector.region and school.region.startswith(inspector.region):
        return True
    return bool(inspector.schools() & school.family())


@dataclass(frozen=True)
class DrawInputs:
    seed: str
    schools: tuple[CandidateSchool, ...]
    inspectors: tuple[CandidateInspector, ...]
    school_count: int
    inspectors_per_school: int
    algorithm: str = ALGORITHM
    # Published for the reader; the algorithm does not use them.
    context: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        # The canonical order, whatever order the caller gave.
        object.__setattr__(self, "schools", tuple(sorted(self.schools, key=lambda s: s.code)))
        object.__setattr__(self, "inspectors", tuple(sorted(self.inspectors, key=lambda i: i.id)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "seed": self.seed,
            **self.context,
            "school_count": self.school_count,
            "inspectors_per_school": self.inspectors_per_school,
            "schools": [
                {"code": s.code, "region": s.region, "parent": s.parent} for s in self.schools
            ],
            "inspectors": [
                {
                    "id": i.id,
                    "region": i.region,
                    "school": i.school,
                    "school_parent": i.school_parent,
                }
                for i in self.inspectors
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> DrawInputs:
        """Read published inputs back; raises DrawInputError naming what is wrong."""
        if not isinstance(data, dict):
            raise DrawInputError(_("输入应为 JSON 对象"))
        algorithm = data.get("algorithm")
        if algorithm != ALGORITHM:
            raise DrawInputError(
                _("不支持的算法版本：%(a)s（本系统实现 %(b)s）") % {"a": algorithm, "b": ALGORITHM}
            )
        seed = data.get("seed")
        if not isinstance(seed, str) or not SEED_RE.match(seed):
            raise DrawInputError(_("种子应为64位小写十六进制数"))
        try:
            schools = tuple(
                CandidateSchool(str(s["code"]), str(s["region"]), str(s.get("parent") or ""))
                for s in data["schools"]
            )
            inspectors = tuple(
                CandidateInspector(
                    int(i["id"]),
                    str(i["region"]),
                    str(i.get("school") or ""),
                    str(i.get("school_parent") or ""),
                )
                for i in data["inspectors"]
            )
            school_count = int(data["school_count"])
            per_school = int(data["inspectors_per_school"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DrawInputError(_("输入缺少字段或格式不对：%(e)s") % {"e": exc}) from exc
        if len({s.code for s in schools}) != len(schools):
            raise DrawInputError(_("候选学校有重复的学校标识码"))
        if len({i.id for i in inspectors}) != len(inspectors):
            raise DrawInputError(_("检查人员有重复的编号"))
        if school_count < 1 or per_school < 1:
            raise DrawInputError(_("抽取数量应为正整数"))
        known = {"algorithm", "seed", "school_count", "inspectors_per_school"}
        context = {k: v for k, v in data.items() if k not in known | {"schools", "inspectors"}}
        return cls(
            seed=seed,
            schools=schools,
            inspectors=inspectors,
            school_count=school_count,
            inspectors_per_school=per_school,
            context=context,
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)


@dataclass(frozen=True)
class DrawnTarget:
    position: int
    school: str
    inspectors: tuple[int, ...]


def new_seed() -> str:
    """256 bits from the operating system's CSPRNG."""
    return secrets.token_hex(32)


def school_count_for(candidates: int, *, count: int | None, percent: int | None) -> int:
    """A fixed number, or a percentage of the candidates rounded up (at least one)."""
    if count:
        return count
    if percent:
        return max(1, math.ceil(candidates * percent / 100)) if candidates else 0
    return 0


def _hash(seed: str, text: str) -> str:
    return hmac.new(bytes.fromhex(seed), text.encode("utf-8"), hashlib.sha256).hexdigest()


def eligible(inputs: DrawInputs, school: CandidateSchool) -> list[CandidateInspector]:
    return [i for i in inputs.inspectors if not conflicts(i, school)]


def uncoverable(
    inputs: DrawInputs, schools: tuple[CandidateSchool, ...] | None = None
) -> list[tuple[str, int]]:
    """Schools that fewer than M inspectors may inspect, with how many may."""
    need = inputs.inspectors_per_school
    found = []
    for school in inputs.schools if schools is None else schools:
        n = len(eligible(inputs, school))
        if n < need:
            found.append((school.code, n))
    return found


def run_draw(inputs: DrawInputs) -> list[DrawnTarget]:
    """The draw itself (see the module docstring). Raises DrawError when it cannot."""
    if inputs.algorithm != ALGORITHM:
        raise DrawError(_("不支持的算法版本：%(a)s") % {"a": inputs.algorithm})
    n, m = inputs.school_count, inputs.inspectors_per_school
    if n < 1 or m < 1:
        raise DrawError(_("抽取学校数和每校检查人数都应至少为1"))
    if len(inputs.schools) < n:
        raise DrawError(
            _(
                "符合条件的学校只有 %(have)d 所，不足计划抽取的 %(want)d 所："
                "请放宽筛选条件或减少抽取数量。"
            )
            % {"have": len(inputs.schools), "want": n}
        )
    ranked = sorted(inputs.schools, key=lambda s: (_hash(inputs.seed, f"school|{s.code}"), s.code))
    drawn = tuple(ranked[:n])
    missing = uncoverable(inputs, drawn)
    if missing:
        listed = "、".join(f"{code}（{k}人）" for code, k in missing[:20])
        raise DrawError(
            _(
                "检查人员不足：以下 %(n)d 所学校按回避规则（本人所在县区、本人学校）"
                "可派的检查人员少于每校 %(m)d 人：%(list)s。"
                "请向人员库补充其他县区的检查人员，或减少每校检查人数。"
            )
            % {"n": len(missing), "m": m, "list": listed},
            uncovered=missing,
        )
    load = {i.id: 0 for i in inputs.inspectors}
    result = []
    for position, school in enumerate(drawn, start=1):
        pool = eligible(inputs, school)
        pool.sort(
            key=lambda i: (load[i.id], _hash(inputs.seed, f"inspector|{school.code}|{i.id}"), i.id)
        )
        chosen = tuple(i.id for i in pool[:m])
        for inspector_id in chosen:
            load[inspector_id] += 1
        result.append(DrawnTarget(position, school.code, chosen))
    return result


def result_as_data(result: list[DrawnTarget]) -> list[dict[str, Any]]:
    return [
        {"position": t.position, "school": t.school, "inspectors": list(t.inspectors)}
        for t in result
    ]
