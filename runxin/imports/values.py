"""Normalising single roster values: text, dates, sex and boarding codes, flags, ID numbers, phones.

Pure Python, no database. Each parser returns the clean value or raises `Bad` with an English message
(a msgid, marked with `gettext_noop` so makemessages finds it) and its parameters; the Django layer
translates when it shows the reason. The fast paths come first: most cells of a real roster are clean.
"""

import re
import unicodedata
from datetime import date, timedelta
from functools import lru_cache
from operator import mul

from runxin.org.grades import parse_class_name


def gettext_noop(message: str) -> str:
    """Marks a msgid for extraction; translated later, where the reason is shown."""
    return message


class Explained(ValueError):
    """An error whose `message` is an English msgid with %(name)s placeholders filled from `params`."""

    def __init__(self, message: str, **params) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def render(self) -> str:
        return self.message % self.params if self.params else self.message

    def __str__(self) -> str:
        return self.render()

    def __reduce__(self):  # keeps the params when a worker process hands the error over
        return (_rebuild, (self.__class__, self.message, self.params))


class Bad(Explained):
    """A value that cannot be used."""


def _rebuild(cls, message: str, params: dict) -> Explained:
    return cls(message, **params)


# ---------------------------------------------------------------- text

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00a0\u3000\t\r\n"), " ")
_SPACES = re.compile(r"\s+")
_ODD = re.compile("[\u200b\u200c\u200d\ufeff\t\r\n]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SCIENTIFIC = re.compile(r"^[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+$")


def clean(raw: object) -> str:
    """A cell as text: full-width letters, digits and brackets made half-width (NFKC), invisible and
    non-breaking spaces turned into spaces, runs of spaces collapsed, ends trimmed."""
    if raw is None:
        return ""
    text = raw if raw.__class__ is str else str(raw)
    if text.isascii():
        if "  " in text or "\t" in text or "\n" in text or "\r" in text:
            return _SPACES.sub(" ", text).strip()
        return text.strip()
    if unicodedata.is_normalized("NFKC", text) and not _ODD.search(text):
        return text.strip() if "  " not in text else _SPACES.sub(" ", text).strip()
    text = unicodedata.normalize("NFKC", text.translate(_INVISIBLE))
    return _SPACES.sub(" ", text).strip()


def _cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def clean_name(raw: object, *, max_length: int = 60) -> str:
    """A person's name: spaces used to pad a two-character name ('张  三') removed; spaces between
    Latin-script words kept; '·' in transliterated names kept."""
    text = clean(raw)
    if not text:
        raise Bad(gettext_noop("name is empty"))
    if len(text) <= 4 and " " not in text and not _CONTROL.search(text):
        return text  # the common case: a two- to four-character Chinese name
    if " " in text:
        parts = text.split(" ")
        joined = parts[0]
        for part in parts[1:]:
            joined += part if (_cjk(joined[-1]) or _cjk(part[0])) else " " + part
        text = joined
    if len(text) > max_length:
        raise Bad(gettext_noop("longer than %(max)s characters"), max=max_length)
    if _CONTROL.search(text):
        raise Bad(gettext_noop("contains control characters"))
    return text


def looks_scientific(text: str) -> bool:
    """'1.2E+17': a long number that Excel stored as a floating-point number, losing its last digits."""
    return bool(_SCIENTIFIC.match(text))


# ---------------------------------------------------------------- student number (学籍号)

_STUDENT_NUMBER = re.compile(r"^[A-Z]{0,2}[0-9]{6,30}[0-9X]?$")


def student_number(raw: object) -> str:
    """学籍号: 'G' + the ID number in the national system, or a temporary 'L…'/'J…' number; letters
    upper-cased, spaces removed. Numbers that Excel turned into 1.2E+17 are refused: digits are lost."""
    if raw.__class__ is str and raw.isascii() and _STUDENT_NUMBER.match(raw):
        return raw
    text = clean(raw).replace(" ", "").replace("-", "").upper()
    if not text:
        raise Bad(gettext_noop("student number (学籍号) is empty"))
    if looks_scientific(text):
        raise Bad(gettext_noop("%(value)s: Excel turned the number into scientific notation and its last digits "
                               "are lost; format the column as text and enter the numbers again"), value=text)
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]  # a number cell read back as a float
    if not _STUDENT_NUMBER.match(text):
        raise Bad(gettext_noop("%(value)s is not a student number: expected letters G/L/J and digits"),
                  value=text[:40])
    return text


# ---------------------------------------------------------------- dates

_EXCEL_EPOCH = date(1899, 12, 30)
_DATE_SEPARATED = re.compile(r"^([0-9]{4})\s*[-./年]\s*([0-9]{1,2})\s*[-./月]\s*([0-9]{1,2})\s*日?(?:[ T]00:00(?::00)?)?$")
_DATE_COMPACT = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
_DATE_SERIAL = re.compile(r"^[0-9]{5}(?:\.0+)?$")


def parse_date(raw: object, *, earliest: date, latest: date) -> date:
    """20110503, 2011-05-03, 2011/5/3, 2011.5.3, 2011年5月3日 or an Excel serial day number (40666)."""
    if isinstance(raw, date):
        value = raw
    else:
        text = clean(raw)
        if not text:
            raise Bad(gettext_noop("date is empty"))
        if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
            parts = (text[:4], text[5:7], text[8:10])  # the common ISO case, without a regex
        elif m := _DATE_COMPACT.match(text):
            parts = m.groups()
        elif m := _DATE_SEPARATED.match(text):
            parts = m.groups()
        elif _DATE_SERIAL.match(text):
            value = _EXCEL_EPOCH + timedelta(days=int(float(text)))
            parts = None
        else:
            raise Bad(gettext_noop("%(value)s is not a date: write it as 2011-05-03, 20110503 or 2011.5.3"),
                      value=text[:40])
        if parts is not None:
            try:
                value = date(int(parts[0]), int(parts[1]), int(parts[2]))
            except ValueError:
                raise Bad(gettext_noop("%(value)s is not a real date"), value=text) from None
    if not earliest <= value <= latest:
        raise Bad(gettext_noop("%(value)s is outside the plausible range %(earliest)s to %(latest)s"),
                  value=value.isoformat(), earliest=earliest.isoformat(), latest=latest.isoformat())
    return value


# ---------------------------------------------------------------- coded values

# GB/T 2261.1 sex codes as the student-status system exports them: 1 男, 2 女 (0 and 9 mean unknown).
_SEX = {"男": "M", "女": "F", "1": "M", "2": "F", "m": "M", "f": "F", "male": "M", "female": "F",
        "男性": "M", "女性": "F", "男生": "M", "女生": "F"}


def sex(raw: object) -> str:
    if raw in _SEX:
        return _SEX[raw]
    text = clean(raw).replace(" ", "").lower()
    if text in _SEX:
        return _SEX[text]
    if not text:
        raise Bad(gettext_noop("sex is empty"))
    raise Bad(gettext_noop("unknown sex code %(value)s: use 男/女 or the codes 1/2"), value=text[:20])


# 就读方式: 1 走读, 2 住校 in the student-status system.
_BOARDING = {"走读": "day", "1": "day", "走读生": "day", "否": "day", "day": "day",
             "住校": "boarding", "2": "boarding", "寄宿": "boarding", "住宿": "boarding", "住读": "boarding",
             "住校生": "boarding", "寄宿生": "boarding", "是": "boarding", "boarding": "boarding"}


def boarding(raw: object) -> str:
    if raw in _BOARDING:
        return _BOARDING[raw]
    text = clean(raw).replace(" ", "").lower()
    if not text:
        return "day"
    if text in _BOARDING:
        return _BOARDING[text]
    raise Bad(gettext_noop("unknown day/boarding value %(value)s: use 走读/住校 or the codes 1/2"), value=text[:20])


_YES = {"是", "1", "y", "yes", "true", "√", "✓", "有"}
_NO = {"否", "0", "n", "no", "false", "", "无", "-", "×"}


def flag(raw: object) -> bool:
    """是/否 (also 1/0, Y/N, √); an empty cell means no."""
    if raw == "否" or raw == "":
        return False
    if raw == "是":
        return True
    text = clean(raw).replace(" ", "").lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise Bad(gettext_noop("%(value)s is not yes or no: use 是/否 or 1/0"), value=text[:20])


# 是否留守儿童 in the student-status system: 0 非留守儿童, 1 单亲留守儿童, 2 双亲留守儿童.
_LEFT_BEHIND = {
    "非留守儿童": None, "0": None, "否": None, "": None, "非留守": None,
    "单亲留守儿童": "left_behind_one", "单亲留守": "left_behind_one", "1": "left_behind_one",
    "是": "left_behind_one",  # a plain yes: at least one parent works away
    "双亲留守儿童": "left_behind_both", "双亲留守": "left_behind_both", "2": "left_behind_both",
}


def left_behind(raw: object) -> str | None:
    if raw in _LEFT_BEHIND:
        return _LEFT_BEHIND[raw]
    text = clean(raw).replace(" ", "")
    if text in _LEFT_BEHIND:
        return _LEFT_BEHIND[text]
    raise Bad(gettext_noop("unknown left-behind value %(value)s: use 非留守儿童/单亲留守儿童/双亲留守儿童 "
                           "or the codes 0/1/2"), value=text[:20])


_NOT_DISABLED = {"", "0", "非残疾", "无", "否", "非残疾人"}
_DISABILITY = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "是"}


def disability(raw: object) -> bool:
    """残疾类型: 0/非残疾 → no; a type name or code (视力残疾, 1 …) → yes."""
    if raw in _NOT_DISABLED:
        return False
    text = clean(raw).replace(" ", "")
    if text in _NOT_DISABLED:
        return False
    if text in _DISABILITY or text.endswith("残疾"):
        return True
    raise Bad(gettext_noop("unknown disability type %(value)s"), value=text[:20])


# GB/T 4761 family-relation codes as the student-status system may export them.
_RELATION_CODES = {
    "50": "父母", "51": "父亲", "52": "母亲", "57": "继父或养父", "58": "继母或养母", "60": "祖父母或外祖父母",
    "61": "祖父", "62": "祖母", "63": "外祖父", "64": "外祖母", "70": "兄弟姐妹", "71": "兄", "73": "弟",
    "75": "姐", "77": "妹", "80": "其他亲属", "97": "其他亲属", "99": "非亲属",
}


_RELATIONS = frozenset({"父亲", "母亲", "爷爷", "奶奶", "外公", "外婆", "祖父", "祖母", "外祖父", "外祖母", "哥哥", "姐姐",
                        "叔叔", "阿姨", "舅舅", "姑姑", "其他", ""})


def relation(raw: object) -> str:
    if raw in _RELATIONS:
        return raw
    text = clean(raw).replace(" ", "")
    text = _RELATION_CODES.get(text, text)
    if len(text) > 20:
        raise Bad(gettext_noop("relation is longer than 20 characters"))
    return text


# ---------------------------------------------------------------- phone numbers

_PHONE_STRIP = str.maketrans("", "", " -()")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[1-9][0-9]{8,10}$")  # area code + number, written without separators
_SHORT = re.compile(r"^[2-9][0-9]{6,7}$")  # a local number without the area code


def phone(raw: object) -> str:
    if raw.__class__ is str and len(raw) == 11 and _MOBILE.match(raw):
        return raw
    text = clean(raw)
    if not text:
        return ""
    if looks_scientific(text):
        raise Bad(gettext_noop("%(value)s: Excel turned the phone number into scientific notation; format the "
                               "column as text"), value=text)
    digits = text.translate(_PHONE_STRIP)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if digits.endswith(".0"):
        digits = digits[:-2]
    if _MOBILE.match(digits):
        return digits
    if _LANDLINE.match(digits) or _SHORT.match(digits):
        return text.replace(" ", "")[:30]
    raise Bad(gettext_noop("%(value)s is not a phone number"), value=text[:30])


# ---------------------------------------------------------------- ID numbers (GB 11643)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")


_ID_OFFSET = 48 * sum(_ID_WEIGHTS)  # the weights applied to the ASCII codes instead of the digits


def id_check_digit(first17: str) -> str:
    return _ID_CHECK[(sum(map(mul, first17.encode("ascii"), _ID_WEIGHTS)) - _ID_OFFSET) % 11]


def id_number(raw: object, *, birth_date: date | None = None, sex_code: str | None = None) -> str:
    """An 18-character resident ID number (GB 11643): the check digit must match, the embedded birth
    date must be real and agree with the birth-date column, and the sequence digit's parity with sex."""
    if raw.__class__ is str and len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] != "x":
        text = raw
    else:
        text = clean(raw).replace(" ", "").upper()
    if not text:
        return ""
    if looks_scientific(text):
        raise Bad(gettext_noop("%(value)s: Excel turned the ID number into scientific notation and its last "
                               "digits are lost; format the column as text and enter the numbers again"),
                  value=text)
    if len(text) == 15 and text.isdigit():
        raise Bad(gettext_noop("15-digit ID numbers are no longer valid: use the 18-character number"))
    if not _ID_SHAPE.match(text):
        raise Bad(gettext_noop("%(value)s is not an 18-character ID number"), value=text[:30])
    expected = id_check_digit(text[:17])
    if text[17] != expected:
        raise Bad(gettext_noop("ID number check digit is %(found)s but should be %(expected)s (GB 11643): "
                               "a digit is mistyped"), found=text[17], expected=expected)
    try:
        embedded = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise Bad(gettext_noop("the birth date inside the ID number (%(value)s) is not a real date"),
                  value=text[6:14]) from None
    if birth_date is not None and embedded != birth_date:
        raise Bad(gettext_noop("the ID number says born %(embedded)s but the birth date column says %(column)s"),
                  embedded=embedded.isoformat(), column=birth_date.isoformat())
    if sex_code is not None and ("M" if int(text[16]) % 2 else "F") != sex_code:
        raise Bad(gettext_noop("the ID number's sex digit does not match the sex column"))
    return text


def is_resident_id_type(raw: object) -> bool:
    """身份证件类型: empty or a resident card (居民身份证, code 1) is checked against GB 11643; a passport
    or other document is stored as given."""
    text = clean(raw).replace(" ", "")
    return text in {"", "1", "居民身份证", "身份证", "中华人民共和国居民身份证", "居民身份证(户口簿)", "户口簿",
                    "港澳台居民居住证", "6", "港澳居民居住证", "台湾居民居住证"}


# ---------------------------------------------------------------- classes

_CLASS_NUMBER = re.compile(r"^\(?([0-9]{1,2})\)?班?$")


def school_class(raw: object, grade_raw: object = "") -> tuple[int, int]:
    """(grade level, class number) from '七年级(3)班', '初一（3）班', '7年级3班', or from a 年级 column plus
    a class column holding only the number ('3', '3班', '(3)班')."""
    parsed = _class_cached(raw if raw.__class__ is str else clean(raw),
                           grade_raw if grade_raw.__class__ is str else clean(grade_raw))
    if parsed.__class__ is str:
        raise Bad(gettext_noop("%(value)s is not a class name: write it as 七年级(3)班 or 初一(3)班"), value=parsed)
    return parsed


@lru_cache(maxsize=8192)
def _class_cached(raw: str, grade_raw: str) -> tuple[int, int] | str:
    """Class names repeat on every row of a class: parse each spelling once. A str result is the error."""
    text = clean(raw).replace(" ", "")
    if not text:
        raise Bad(gettext_noop("class is empty"))
    parsed = parse_class_name(text)
    if parsed is None and grade_raw:
        grade_text = clean(grade_raw).replace(" ", "")
        number = _CLASS_NUMBER.match(text)
        if number:
            parsed = parse_class_name(f"{grade_text}({number.group(1)})班")
        elif text.startswith(grade_text):
            parsed = parse_class_name(text)
        else:
            parsed = parse_class_name(grade_text + text)
    return parsed if parsed is not None else text[:40]
