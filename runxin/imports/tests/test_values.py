"""Normalising single values: no database."""

from datetime import date

import pytest

from runxin.imports import values
from runxin.imports.values import Bad

EARLY, LATE = date(1996, 1, 1), date(2024, 12, 31)


@pytest.mark.parametrize("raw, expected", [
    ("20110503", date(2011, 5, 3)),
    ("2011-05-03", date(2011, 5, 3)),
    ("2011-5-3", date(2011, 5, 3)),
    ("2011.5.3", date(2011, 5, 3)),
    ("2011.05.03", date(2011, 5, 3)),
    ("2011/5/3", date(2011, 5, 3)),
    ("2011年5月3日", date(2011, 5, 3)),
    ("２０１１－０５－０３", date(2011, 5, 3)),  # full-width digits and dash
    (" 2011-05-03 ", date(2011, 5, 3)),
    ("2011-05-03 00:00:00", date(2011, 5, 3)),
    ("40666", date(2011, 5, 3)),  # an Excel serial day number
    ("40666.0", date(2011, 5, 3)),
    (date(2011, 5, 3), date(2011, 5, 3)),
])
def test_dates_in_every_format(raw, expected):
    assert values.parse_date(raw, earliest=EARLY, latest=LATE) == expected


@pytest.mark.parametrize("raw, fragment", [
    ("2011-02-30", "not a real date"),
    ("20111303", "not a real date"),
    ("2011.2.29", "not a real date"),
    ("03/05/2011", "not a date"),
    ("May 3rd", "not a date"),
    ("", "empty"),
    ("1890-01-01", "outside the plausible range"),
    ("2031-01-01", "outside the plausible range"),
])
def test_impossible_dates_are_refused_with_a_reason(raw, fragment):
    with pytest.raises(Bad) as caught:
        values.parse_date(raw, earliest=EARLY, latest=LATE)
    assert fragment in caught.value.render()


@pytest.mark.parametrize("raw, expected", [
    ("男", "M"), ("女", "F"), ("1", "M"), ("2", "F"), (" 男 ", "M"), ("男性", "M"), ("F", "F"), ("male", "M"), ("１", "M"),
])
def test_sex_names_and_student_status_codes(raw, expected):
    assert values.sex(raw) == expected


@pytest.mark.parametrize("raw", ["0", "9", "3", "未知", "x"])
def test_unknown_sex_code(raw):
    with pytest.raises(Bad) as caught:
        values.sex(raw)
    assert "unknown sex code" in caught.value.render() and raw in caught.value.render()


@pytest.mark.parametrize("raw, expected", [
    ("走读", "day"), ("住校", "boarding"), ("1", "day"), ("2", "boarding"), ("寄宿", "boarding"), ("", "day"),
])
def test_boarding(raw, expected):
    assert values.boarding(raw) == expected


def test_unknown_boarding_value():
    with pytest.raises(Bad, match="day/boarding"):
        values.boarding("半走读")


@pytest.mark.parametrize("raw, expected", [
    ("是", True), ("否", False), ("1", True), ("0", False), ("", False), ("Y", True), ("n", False), ("√", True),
])
def test_yes_no_flags(raw, expected):
    assert values.flag(raw) is expected


def test_flag_rejects_other_text():
    with pytest.raises(Bad, match="not yes or no"):
        values.flag("也许")


@pytest.mark.parametrize("raw, expected", [
    ("非留守儿童", None), ("0", None), ("", None), ("单亲留守儿童", "left_behind_one"), ("1", "left_behind_one"),
    ("双亲留守儿童", "left_behind_both"), ("2", "left_behind_both"), ("是", "left_behind_one"),
])
def test_left_behind_names_and_codes(raw, expected):
    assert values.left_behind(raw) == expected


def test_left_behind_unknown_code():
    with pytest.raises(Bad, match="left-behind"):
        values.left_behind("3")


@pytest.mark.parametrize("raw, expected", [("非残疾", False), ("0", False), ("视力残疾", True), ("4", True), ("", False)])
def test_disability_type(raw, expected):
    assert values.disability(raw) is expected


def test_relation_codes_of_gb_t_4761():
    assert values.relation("51") == "父亲" and values.relation("52") == "母亲" and values.relation("舅舅") == "舅舅"


# ---- ID numbers

VALID_ID = "11010519491231002X"  # the standard's own example


def test_id_number_check_digit_ok():
    assert values.id_check_digit(VALID_ID[:17]) == "X"
    assert values.id_number(VALID_ID) == VALID_ID
    assert values.id_number(VALID_ID.lower()) == VALID_ID  # a lower-case x is accepted


def test_id_number_bad_check_digit():
    with pytest.raises(Bad) as caught:
        values.id_number("110105194912310021")
    assert "check digit is 1 but should be X" in caught.value.render()


def test_id_number_birth_date_must_match_the_column():
    with pytest.raises(Bad, match="says born 1949-12-31"):
        values.id_number(VALID_ID, birth_date=date(1950, 1, 1))
    assert values.id_number(VALID_ID, birth_date=date(1949, 12, 31), sex_code="F") == VALID_ID


def test_id_number_sex_digit_must_match():
    with pytest.raises(Bad, match="sex digit"):
        values.id_number(VALID_ID, sex_code="M")  # the 17th digit 2 is even: female


def test_id_number_embedded_date_must_be_real():
    first17 = "11010520110230001"
    with pytest.raises(Bad, match="not a real date"):
        values.id_number(first17 + values.id_check_digit(first17))


@pytest.mark.parametrize("raw, fragment", [
    ("1.10105E+17", "scientific notation"),
    ("110105491231002", "15-digit"),
    ("11010519491231", "not an 18-character ID number"),
])
def test_id_number_shapes(raw, fragment):
    with pytest.raises(Bad) as caught:
        values.id_number(raw)
    assert fragment in caught.value.render()


def test_id_number_full_width_and_spaces():
    assert values.id_number("１１０１０５ １９４９１２３１００２Ｘ") == VALID_ID


# ---- student numbers, names, phones

@pytest.mark.parametrize("raw, expected", [
    ("G11010519491231002X", "G11010519491231002X"),
    ("g11010519491231002x", "G11010519491231002X"),
    (" G 110105 19491231002X ", "G11010519491231002X"),
    ("Ｇ１１０１０５１９４９１２３１００２Ｘ", "G11010519491231002X"),
    ("L2013050300123", "L2013050300123"),
    ("320502201305030011.0", "320502201305030011"),
])
def test_student_numbers(raw, expected):
    assert values.student_number(raw) == expected


@pytest.mark.parametrize("raw, fragment", [
    ("1.2E+17", "scientific notation"),
    ("3.20502201305E+17", "scientific notation"),
    ("", "empty"),
    ("张三", "not a student number"),
])
def test_bad_student_numbers(raw, fragment):
    with pytest.raises(Bad) as caught:
        values.student_number(raw)
    assert fragment in caught.value.render()


def test_looks_scientific():
    assert values.looks_scientific("1.2E+17") and values.looks_scientific("3.2e17")
    assert not values.looks_scientific("G1.2E+17") and not values.looks_scientific("120000")


@pytest.mark.parametrize("raw, expected", [
    ("张三", "张三"), ("张  三", "张三"), (" 王 小 明 ", "王小明"), ("Anna Li", "Anna Li"), ("买买提·艾力", "买买提·艾力"),
    ("张\u3000三", "张三"), ("李\u200b四", "李 四".replace(" ", "")),
])
def test_names_lose_padding_spaces(raw, expected):
    assert values.clean_name(raw) == expected


def test_name_empty_or_too_long():
    with pytest.raises(Bad, match="empty"):
        values.clean_name("  ")
    with pytest.raises(Bad, match="longer than 60"):
        values.clean_name("张" * 61)


@pytest.mark.parametrize("raw, expected", [
    ("13912345678", "13912345678"), ("139 1234 5678", "13912345678"), ("139-1234-5678", "13912345678"),
    ("+86 139 1234 5678", "13912345678"), ("１３９１２３４５６７８", "13912345678"), ("0512-65231234", "0512-65231234"),
    ("", ""), ("13912345678.0", "13912345678"),
])
def test_phones(raw, expected):
    assert values.phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "1391234567", "1.39123E+10", "电话"])
def test_bad_phones(raw):
    with pytest.raises(Bad):
        values.phone(raw)


# ---- classes and text

@pytest.mark.parametrize("raw, grade, expected", [
    ("七年级(3)班", "", (7, 3)),
    ("初一（3）班", "", (7, 3)),
    ("七年级（３）班", "", (7, 3)),
    ("7年级3班", "", (7, 3)),
    ("高二12班", "", (11, 12)),
    (" 七年级 (3) 班 ", "", (7, 3)),
    ("3", "七年级", (7, 3)),
    ("3班", "初二", (8, 3)),
    ("（3）班", "初三", (9, 3)),
    ("七年级3班", "七年级", (7, 3)),
])
def test_class_name_variants(raw, grade, expected):
    assert values.school_class(raw, grade) == expected


@pytest.mark.parametrize("raw", ["火星班", "七年级(0)班", ""])
def test_unreadable_class_names(raw):
    with pytest.raises(Bad):
        values.school_class(raw)


def test_clean_full_width_and_invisible_spaces():
    assert values.clean("ＡＢＣ１２３") == "ABC123"
    assert values.clean("\ufeff 男\u00a0") == "男"
    assert values.clean("a  b\tc") == "a b c"
    assert values.clean(None) == "" and values.clean(12) == "12"
