"""How a student's national student number (学籍号) is shown to someone who may not see it in full.

The number is 'G' followed by the student's 18-digit ID number (全国学籍号 = G + 身份证号), so in full it carries
the birth date and sex: it has the ID number's sensitivity (STUDENT_SENSITIVE). Masked, it keeps the first five
and the last four characters, enough to tell two students of a class apart: G3205**********0213.
"""

from runxin.access import roles, scope


def mask_student_number(number: str) -> str:
    if not number:
        return ""
    if len(number) >= 12:
        return number[:5] + "*" * (len(number) - 9) + number[-4:]
    if len(number) > 4:
        return number[:1] + "*" * (len(number) - 3) + number[-2:]
    return "*" * len(number)


def sees_full_number(user, student) -> bool:
    return roles.STUDENT_SENSITIVE in scope.detail_permissions(user, student)


def student_number_for(user, student) -> str:
    """The number as this user may see it: in full with STUDENT_SENSITIVE for this student, masked otherwise."""
    number = student.student_number
    return number if sees_full_number(user, student) else mask_student_number(number)
