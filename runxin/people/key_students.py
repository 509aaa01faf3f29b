"""Key students (重点学生): a student marked in a category (Jiaxing's six and the city's own), with the reason and
the date to review the marking. The psychology teacher or head teacher of the student marks and ends them; the
marking rows are the history, audited with their reason withheld from the auditor. Student.is_key_student stays
the denormalised "has an open marking" flag other code filters on (targeted campaigns, lists): only this module
sets it, in the transaction that changes the markings."""

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import KeyStudentCategory, KeyStudentMark, Student

REASON_MAX = 1000
REVIEW_WITHIN_DAYS = 366  # a marking is looked at again within the school year


class KeyStudentRefused(ValueError):
    """A marking the rules refuse; `field` names the form field, str() the sentence to show."""

    def __init__(self, message: str, field: str = "") -> None:
        self.field = field
        super().__init__(message)


def _check_review(review_on: date | None, today: date) -> date:
    if review_on is None:
        raise KeyStudentRefused(_("Give the date by which this marking is reviewed."), "review_on")
    if review_on <= today:
        raise KeyStudentRefused(_("The review date must be after today."), "review_on")
    if review_on > today + timedelta(days=REVIEW_WITHIN_DAYS):
        raise KeyStudentRefused(_("The review date must be within a year: a marking is looked at again at least "
                                  "once a school year."), "review_on")
    return review_on


def _sync_flag(student: Student) -> None:
    flag = student.key_marks.filter(ended_on__isnull=True).exists()
    if student.is_key_student != flag:
        student.is_key_student = flag
        student.save(update_fields=["is_key_student", "updated_at"])


@transaction.atomic
def key_mark(*, actor, student: Student, category: KeyStudentCategory | None, reason: str,
             review_on: date | None) -> KeyStudentMark:
    """Mark the student in the category from today. The caller has checked that `actor` may mark this student.
    Refuses a missing or inactive category, an empty or over-long reason, a review date that is not within the
    coming year, and a second open marking in the same category."""
    today = timezone.localdate()
    if category is None or not category.is_active:
        raise KeyStudentRefused(_("Choose one of the key-student categories."), "category")
    reason = (reason or "").strip()
    if not reason:
        raise KeyStudentRefused(_("Give the reason for marking this student: it is what the next reviewer reads."),
                                "reason")
    if len(reason) > REASON_MAX:
        raise KeyStudentRefused(_("The reason is %(n)d characters long; at most %(max)d fit.")
                                % {"n": len(reason), "max": REASON_MAX}, "reason")
    review_on = _check_review(review_on, today)
    already = student.key_marks.filter(category=category, ended_on__isnull=True).first()
    if already is not None:
        raise KeyStudentRefused(_("%(name)s is already marked as %(category)s since %(date)s.") % {
            "name": student.name, "category": category.name_zh, "date": already.marked_on.isoformat()}, "category")
    try:
        with transaction.atomic():  # two teachers marking at once: the open-marking constraint decides
            mark = KeyStudentMark.objects.create(student=student, category=category, reason=reason,
                                                 marked_by=actor, marked_on=today, review_on=review_on)
    except IntegrityError:
        raise KeyStudentRefused(_("%(name)s is already marked as %(category)s.") % {
            "name": student.name, "category": category.name_zh}, "category") from None
    _sync_flag(student)
    return mark


@transaction.atomic
def key_review(*, actor, mark: KeyStudentMark, review_on: date | None) -> KeyStudentMark:
    """The marking was reviewed and stays: the next review is on `review_on`."""
    mark = KeyStudentMark.objects.select_for_update().get(pk=mark.pk)
    if mark.ended_on is not None:
        raise KeyStudentRefused(_("This marking has ended; mark the student again if needed."))
    mark.review_on = _check_review(review_on, timezone.localdate())
    mark.save(update_fields=["review_on"])
    return mark


@transaction.atomic
def key_end(*, actor, mark: KeyStudentMark) -> None:
    """End the marking today (kept as history); the student stays a key student while another marking is open."""
    mark = KeyStudentMark.objects.select_for_update().select_related("student").get(pk=mark.pk)
    if mark.ended_on is not None:
        raise KeyStudentRefused(_("This marking has already ended."))
    mark.ended_on, mark.ended_by = timezone.localdate(), actor
    mark.save(update_fields=["ended_on", "ended_by"])
    _sync_flag(mark.student)


# ---- categories (the city's list) ------------------------------------------------------------------------------


def _clean_names(name_zh: str, name_en: str) -> tuple[str, str]:
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    if not name_zh:
        raise KeyStudentRefused(_("Give the category's Chinese name."), "name_zh")
    if len(name_zh) > 60 or len(name_en) > 60:
        raise KeyStudentRefused(_("A category's name fits in 60 characters."), "name_zh")
    return name_zh, name_en or name_zh


@transaction.atomic
def category_create(*, actor, name_zh: str, name_en: str = "") -> KeyStudentCategory:
    name_zh, name_en = _clean_names(name_zh, name_en)
    if KeyStudentCategory.objects.filter(name_zh=name_zh).exists():
        raise KeyStudentRefused(_("A category named %(name)s exists already.") % {"name": name_zh}, "name_zh")
    base = slugify(name_en)[:30] or "category"
    code, n = base, 1
    while KeyStudentCategory.objects.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    last = KeyStudentCategory.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
    return KeyStudentCategory.objects.create(code=code, name_zh=name_zh, name_en=name_en, sort_order=last + 10)


@transaction.atomic
def category_update(*, actor, category: KeyStudentCategory, name_zh: str, name_en: str,
                    is_active: bool) -> KeyStudentCategory:
    """Rename or (de)activate a category. An inactive category takes no new marking; open ones stay."""
    name_zh, name_en = _clean_names(name_zh, name_en)
    if KeyStudentCategory.objects.filter(name_zh=name_zh).exclude(pk=category.pk).exists():
        raise KeyStudentRefused(_("A category named %(name)s exists already.") % {"name": name_zh}, "name_zh")
    category.name_zh, category.name_en, category.is_active = name_zh, name_en, is_active
    category.save(update_fields=["name_zh", "name_en", "is_active"])
    return category
