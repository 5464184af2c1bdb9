"""The draw algorithm alone (no database): reproducible, exact, never conflicted."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eduplus.inspections.draw import (
    ALGORITHM,
    CandidateInspector,
    CandidateSchool,
    DrawError,
    DrawInputError,
    DrawInputs,
    conflicts,
    run_draw,
    school_count_for,
)

SEED = "0f" * 32
COUNTIES = ["410102", "410103", "410105", "410202", "410203"]


def schools(n: int) -> tuple[CandidateSchool, ...]:
    return tuple(
        CandidateSchool(f"2141{k:06d}", COUNTIES[k % len(COUNTIES)]) for k in range(1, n + 1)
    )


def inspectors(n: int) -> tuple[CandidateInspector, ...]:
    return tuple(CandidateInspector(k, COUNTIES[k % len(COUNTIES)]) for k in range(1, n + 1))


def inputs(n_schools: int = 20, n_inspectors: int = 10, *, count: int = 5, per: int = 2,
           seed: str = SEED) -> DrawInputs:  # fmt: skip
    return DrawInputs(
        seed=seed,
        schools=schools(n_schools),
        inspectors=inspectors(n_inspectors),
        school_count=count,
        inspectors_per_school=per,
    )


def test_same_seed_and_inputs_give_the_identical_draw():
    first = run_draw(inputs())
    again = run_draw(DrawInputs.from_dict(inputs().to_dict()))
    assert first == again
    assert [t.position for t in first] == [1, 2, 3, 4, 5]


def test_input_order_does_not_matter_only_content():
    shuffled = DrawInputs(
        seed=SEED,
        schools=tuple(reversed(schools(20))),
        inspectors=tuple(reversed(inspectors(10))),
        school_count=5,
        inspectors_per_school=2,
    )
    assert run_draw(shuffled) == run_draw(inputs())


def test_another_seed_gives_another_draw():
    assert run_draw(inputs()) != run_draw(inputs(seed="a0" * 32))


def test_school_order_is_the_published_hmac_ranking():
    """An independent re-implementation of step 1 from the documented formula."""
    ranked = sorted(
        (s.code for s in schools(20)),
        key=lambda code: (
            hmac.new(bytes.fromhex(SEED), f"school|{code}".encode(), hashlib.sha256).hexdigest(),
            code,
        ),
    )
    assert [t.school for t in run_draw(inputs())] == ranked[:5]


def test_exactly_the_requested_count_and_inspectors_per_school():
    result = run_draw(inputs(count=7, per=3))
    assert len(result) == 7
    assert len({t.school for t in result}) == 7
    assert all(len(t.inspectors) == 3 == len(set(t.inspectors)) for t in result)


def test_too_few_candidates_is_a_clear_error():
    with pytest.raises(DrawError) as exc:
        run_draw(inputs(n_schools=3, count=5))
    assert "只有 3 所" in exc.value.message and "5 所" in exc.value.message


def test_too_few_unconflicted_inspectors_names_the_schools():
    # Every inspector lives in 410102: its schools cannot be covered at all.
    local = tuple(CandidateInspector(k, "410102") for k in range(1, 6))
    data = DrawInputs(
        seed=SEED,
        schools=(CandidateSchool("2141000001", "410102"),),
        inspectors=local,
        school_count=1,
        inspectors_per_school=1,
    )
    with pytest.raises(DrawError) as exc:
        run_draw(data)
    assert exc.value.uncovered == [("2141000001", 0)]
    assert "2141000001" in exc.value.message and "检查人员不足" in exc.value.message


def test_conflict_rules():
    inspector = CandidateInspector(1, "410102", school="2141000009", school_parent="2141000008")
    assert conflicts(inspector, CandidateSchool("2141000001", "410102"))  # own county
    assert not conflicts(inspector, CandidateSchool("2141000001", "410105"))
    assert not conflicts(inspector, CandidateSchool("2141000001", "4101"))  # city-level school
    assert conflicts(inspector, CandidateSchool("2141000009", "410105"))  # own school
    assert conflicts(inspector, CandidateSchool("2141000008", "410105"))  # its central school
    assert conflicts(inspector, CandidateSchool("2141000007", "410105", parent="2141000009"))


def test_work_is_spread_evenly():
    result = run_draw(inputs(n_schools=30, n_inspectors=10, count=10, per=2))
    loads: dict[int, int] = {}
    for t in result:
        for i in t.inspectors:
            loads[i] = loads.get(i, 0) + 1
    assert max(loads.values()) - min(loads.values()) <= 1


def test_count_or_percentage():
    assert school_count_for(40, count=5, percent=None) == 5
    assert school_count_for(40, count=None, percent=10) == 4
    assert school_count_for(41, count=None, percent=10) == 5  # rounded up
    assert school_count_for(3, count=None, percent=1) == 1
    assert school_count_for(0, count=None, percent=10) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"algorithm": "other-v9"},
        {"seed": "xyz"},
        {"school_count": 0},
        {"schools": [{"code": "1"}, {"code": "1", "region": "41"}]},
        {"inspectors": "nope"},
    ],
)
def test_bad_published_inputs_are_refused_with_a_reason(change):
    data = {**inputs().to_dict(), **change}
    with pytest.raises(DrawInputError):
        DrawInputs.from_dict(data)


def test_inputs_carry_algorithm_and_seed():
    data = inputs().to_dict()
    assert data["algorithm"] == ALGORITHM and data["seed"] == SEED
    assert [s["code"] for s in data["schools"]] == sorted(s["code"] for s in data["schools"])


region = st.sampled_from([*COUNTIES, "4101", "4102"])
school_st = st.builds(
    CandidateSchool,
    code=st.integers(1, 60).map(lambda k: f"2141{k:06d}"),
    region=region,
    parent=st.one_of(st.just(""), st.integers(1, 60).map(lambda k: f"2141{k:06d}")),
)
inspector_st = st.tuples(
    st.sampled_from(COUNTIES),
    st.one_of(st.just(""), st.integers(1, 60).map(lambda k: f"2141{k:06d}")),
)


@settings(max_examples=150, deadline=None)
@given(
    school_list=st.lists(school_st, min_size=1, max_size=25, unique_by=lambda s: s.code),
    inspector_list=st.lists(inspector_st, min_size=1, max_size=15),
    count=st.integers(1, 10),
    per=st.integers(1, 4),
    seed=st.binary(min_size=32, max_size=32).map(bytes.hex),
)
def test_no_drawn_assignment_is_ever_a_conflict(school_list, inspector_list, count, per, seed):
    people = tuple(
        CandidateInspector(k, county, school)
        for k, (county, school) in enumerate(inspector_list, 1)
    )
    data = DrawInputs(
        seed=seed,
        schools=tuple(school_list),
        inspectors=people,
        school_count=count,
        inspectors_per_school=per,
    )
    by_id = {i.id: i for i in people}
    by_code = {s.code: s for s in school_list}
    try:
        result = run_draw(data)
    except DrawError as exc:
        # Refused only for a real reason: too few schools, or a school really uncoverable.
        assert count > len(school_list) or exc.uncovered
        for code, n in exc.uncovered:
            assert n < per
            assert n == sum(not conflicts(i, by_code[code]) for i in people)
        return
    assert len(result) == count
    for target in result:
        assert len(target.inspectors) == per == len(set(target.inspectors))
        for inspector_id in target.inspectors:
            assert not conflicts(by_id[inspector_id], by_code[target.school])
    assert run_draw(DrawInputs.from_dict(data.to_dict())) == result
