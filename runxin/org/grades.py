"""Grade names and class-name parsing shared by import, rollover and display. No Django models here."""

import re

from django.utils.translation import gettext as _

# Grade level 1–12; Chinese school names for each, in common variants.
GRADE_NAMES_ZH = {
    1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级",
    7: "七年级", 8: "八年级", 9: "九年级", 10: "高一", 11: "高二", 12: "高三",
}
_GRADE_ALIASES = {
    **{name: level for level, name in GRADE_NAMES_ZH.items()},
    "初一": 7, "初二": 8, "初三": 9, "初中一年级": 7, "初中二年级": 8, "初中三年级": 9,
    "高中一年级": 10, "高中二年级": 11, "高中三年级": 12, "十年级": 10, "十一年级": 11, "十二年级": 12,
    "小学一年级": 1, "小学二年级": 2, "小学三年级": 3, "小学四年级": 4, "小学五年级": 5, "小学六年级": 6,
    "预备年级": 6, "职一": 10, "职二": 11, "职三": 12, "中职一年级": 10, "中职二年级": 11, "中职三年级": 12,
}
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_FULLWIDTH = str.maketrans("０１２３４５６７８９（）　", "0123456789() ")


def grade_name(level: int) -> str:
    return GRADE_NAMES_ZH.get(level, _("Grade %(level)s") % {"level": level})


def class_name(level: int, number: int) -> str:
    return f"{grade_name(level)}({number})班"


def _cn_number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十") and len(text) == 2:
        return 10 + _CN_DIGITS.get(text[1], -100)
    if text.endswith("十") and len(text) == 2:
        return 10 * _CN_DIGITS.get(text[0], -100)
    if len(text) == 3 and text[1] == "十":
        return 10 * _CN_DIGITS.get(text[0], -100) + _CN_DIGITS.get(text[2], -100)
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    return None


def _grade_level(text: str) -> int | None:
    level = _GRADE_ALIASES.get(text)
    if level is None:
        digits = re.fullmatch(r"([0-9]{1,2})年级", text)
        level = int(digits.group(1)) if digits else None
    return level


def parse_class_name(raw: str) -> tuple[int, int] | None:
    """'七年级(3)班', '初一（3）班', '高二3班', '高一十班', '7年级3班' → (grade_level, class_number); None if unreadable.

    Grade names and class numbers share characters (高二3班, 十一年级2班), so every split is tried, the
    longest grade name first."""
    text = raw.translate(_FULLWIDTH).replace(" ", "").strip()
    if text.endswith("班"):
        text = text[:-1]
    text = text.replace("(", "").replace(")", "")
    for cut in range(len(text) - 1, 0, -1):
        level = _grade_level(text[:cut])
        if level is None:
            continue
        number = _cn_number(text[cut:])
        if number is not None and 1 <= level <= 12 and 1 <= number <= 99:
            return level, number
    return None


def level_and_number(name: str) -> tuple[int | None, int | None]:
    """(grade level, class number) read from a grade's or class's name: '八年级' → (8, None),
    '九年级(2)班' → (9, 2), '高一' → (10, None); (None, None) when the name names neither."""
    parsed = parse_class_name(name)
    if parsed is not None:
        return parsed
    return _grade_level(name.translate(_FULLWIDTH).replace(" ", "").strip()), None


def sort_key(unit) -> tuple:
    """Reading order of org units of one kind: grades and classes by grade level and class number
    (七 → 八 → 九, never the string order 七 九 八), anything else by code and name.

    `unit` is an OrgUnit or anything with its attributes (kind, name, and optionally code, grade_level,
    class_number). A grade or class whose level or number is not stored is read from its name. Usage:
    `sorted(units, key=grades.sort_key)`."""
    level = getattr(unit, "grade_level", None)
    number = getattr(unit, "class_number", None)
    kind = getattr(unit, "kind", "")
    if kind in ("grade", "class") and (level is None or (kind == "class" and number is None)):
        parsed_level, parsed_number = level_and_number(unit.name or "")
        level = parsed_level if level is None else level
        number = parsed_number if number is None else number
    return (level is None, level or 0, number is None, number or 0, getattr(unit, "code", "") or "", unit.name or "")
