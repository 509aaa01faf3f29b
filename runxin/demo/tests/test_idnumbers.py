"""GB 11643 ID numbers and national student numbers as the demo generator makes them."""

from datetime import date

import pytest

from runxin.demo import idnumbers


def test_check_digit_of_a_known_valid_number():
    assert idnumbers.check_digit("11010519491231002") == "X"
    assert idnumbers.is_valid("11010519491231002X")
    assert idnumbers.is_valid("11010519491231002x")


@pytest.mark.parametrize("number", [
    "110105194912310021",  # wrong check digit
    "11010519491331002X",  # month 13
    "11010519491231002",  # too short
    "1101051949123100AX",  # letters in the body
])
def test_invalid_numbers_are_refused(number):
    assert not idnumbers.is_valid(number)


def test_generated_numbers_carry_birth_date_sex_and_a_valid_check_digit():
    boy = idnumbers.id_number("329001", date(2013, 5, 3), 7)
    girl = idnumbers.id_number("329001", date(2013, 5, 3), 8)
    assert boy.startswith("32900120130503007") and idnumbers.is_valid(boy) and idnumbers.sex_of(boy) == "M"
    assert idnumbers.is_valid(girl) and idnumbers.sex_of(girl) == "F"
    assert idnumbers.student_number(boy) == "G" + boy and len(idnumbers.student_number(boy)) == 19


def test_check_digit_needs_seventeen_digits():
    with pytest.raises(ValueError):
        idnumbers.check_digit("1234")
