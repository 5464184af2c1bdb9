import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduplus.core import idnumber


@given(
    county=st.sampled_from(["410102", "410184", "110101", "650102"]),
    birth=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2024, 12, 31)),
    seq=st.integers(min_value=0, max_value=10_000),
    gender=st.sampled_from([1, 2]),
)
def test_made_numbers_parse_back_consistently(county, birth, seq, gender):
    number = idnumber.make(county, birth, seq, gender)
    parsed = idnumber.parse(number)
    assert parsed.county_code == county
    assert parsed.birth_date == birth
    assert parsed.gender == gender


def test_known_check_digit():
    # The GB 11643 worked example: 11010519491231002X.
    assert idnumber.parse("11010519491231002X").gender == 2
    assert idnumber.check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "校验位"),
        ("1101051949123100", "18位"),
        ("11010519491331002X", "出生日期"),
        ("110105209912310028", "范围"),
        ("", "18位"),
        ("abcdefghijklmnopqr", "18位"),
    ],
)
def test_bad_numbers_say_why(raw, reason):
    with pytest.raises(idnumber.IdNumberError, match=reason):
        idnumber.parse(raw)


def test_legacy_15_digit_number_is_upgraded():
    parsed = idnumber.parse("110105491231002")
    assert parsed.upgraded
    assert parsed.value == "11010519491231002X"


def test_full_width_and_lower_case_x_are_normalised():
    assert idnumber.parse("１１０１０５１９４９１２３１００２x").value == "11010519491231002X"


def test_masking_keeps_only_region_and_last_four():
    assert idnumber.mask("11010519491231002X") == "110105********002X"
    assert idnumber.mask(None) == ""
    assert idnumber.mask_phone("13812345678") == "138****5678"


def test_made_numbers_are_distinct_per_county_birth_date_and_gender():
    birth = dt.date(2015, 3, 5)
    for gender in (1, 2):
        numbers = {idnumber.make("410102", birth, n, gender) for n in range(499)}
        assert len(numbers) == 499
    with pytest.raises(ValueError):
        idnumber.make("410102", birth, 0, 3)
