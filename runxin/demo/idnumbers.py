"""Citizen ID numbers (GB 11643-1999) and national student numbers for the demo city's students.

An ID number is 6 digits of region code, the birth date YYYYMMDD, a 3-digit sequence (odd for men, even
for women) and a check digit (ISO 7064 MOD 11-2, 'X' standing for 10). A national student number
(全国学籍号) is 'G' followed by the student's ID number.
"""

from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("an ID number has 17 digits before the check digit")
    return _CHECK[sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number(region: str, birth: date, sequence: int) -> str:
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return body + check_digit(body)


def is_valid(number: str) -> bool:
    """Format, birth date and check digit (the region code is not looked up)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return check_digit(number[:17]) == number[17].upper()


def sex_of(number: str) -> str:
    return "M" if int(number[16]) % 2 else "F"


def student_number(id_number_: str) -> str:
    return "G" + id_number_
