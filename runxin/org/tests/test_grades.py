"""Class names as schools write them."""

import pytest

from runxin.org.grades import class_name, parse_class_name


@pytest.mark.parametrize(("raw", "expected"), [
    ("七年级(3)班", (7, 3)), ("初一（3）班", (7, 3)), ("高二3班", (11, 3)), ("高二12班", (11, 12)),
    ("高一十班", (10, 10)), ("十一年级2班", (11, 2)), ("7年级3班", (7, 3)), ("初三1班", (9, 1)),
    ("七年级（１２）班", (7, 12)), (" 三年级 (2) 班 ", (3, 2)), ("一年级一班", (1, 1)), ("五年级二十班", (5, 20)),
])
def test_readable_class_names(raw, expected):
    assert parse_class_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "班", "七年级", "十三年级1班", "七年级0班", "火星班", "七年级100班"])
def test_unreadable_class_names(raw):
    assert parse_class_name(raw) is None


def test_class_name_round_trips():
    for level in range(1, 13):
        assert parse_class_name(class_name(level, 7)) == (level, 7)
