"""Key students (重点学生): marking on the student page, the list due for review, the city's categories."""

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_reads
from runxin.converters import query_id

from . import key_students, selectors
from .models import KeyStudentCategory
from .views import detail_context


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _student_page(student) -> str:
    return reverse("people:student_detail", args=[student.pk]) + "#key-students"


def _refused(request, student, refused: key_students.KeyStudentRefused):
    """The student page again with the form as it was sent and the reason it was refused (nothing saved)."""
    perms = scope.permissions_for_student(request.user, student)
    form = {"category": request.POST.get("category", ""), "reason": request.POST.get("reason", ""),
            "review_on": request.POST.get("review_on", ""), "error": str(refused), "field": refused.field}
    return render(request, "people/student_detail.html", detail_context(request, student, perms, key_form=form),
                  status=400)


@requires(roles.KEY_STUDENT_MARK)
@require_POST
@audited_read
def key_mark(request, student_id: int):
    student = scope.student_or_404(request.user, student_id, roles.KEY_STUDENT_MARK)
    category_id = query_id(request.POST.get("category"))
    category = KeyStudentCategory.objects.filter(pk=category_id).first() if category_id else None
    try:
        key_students.key_mark(actor=request.user, student=student, category=category,
                              reason=request.POST.get("reason", ""), review_on=_date(request.POST.get("review_on")))
    except key_students.KeyStudentRefused as refused:
        return _refused(request, student, refused)
    messages.success(request, _("%(name)s is marked as a key student (%(category)s).")
                     % {"name": student.name, "category": category.name_zh})
    return redirect(_student_page(student))


@requires(roles.KEY_STUDENT_MARK)
@require_POST
@audited_read
def key_end(request, student_id: int):
    """End a marking, or – with a new review date – keep it after a review."""
    student = scope.student_or_404(request.user, student_id, roles.KEY_STUDENT_MARK)
    mark = selectors.key_mark_for(student, query_id(request.POST.get("mark")))
    if mark is None:
        messages.error(request, _("Choose the marking to end or review."))
        return redirect(_student_page(student))
    try:
        if request.POST.get("action") == "review":
            key_students.key_review(actor=request.user, mark=mark, review_on=_date(request.POST.get("review_on")))
            messages.success(request, _("Reviewed: the next review is on %(date)s.")
                             % {"date": request.POST.get("review_on")})
        else:
            key_students.key_end(actor=request.user, mark=mark)
            messages.success(request, _("The marking as %(category)s has ended.") % {"category": mark.category.name_zh})
    except key_students.KeyStudentRefused as refused:
        messages.error(request, str(refused))
    back = request.POST.get("next", "")
    return redirect(reverse("people:key_students") if back == "list" else _student_page(student))


@requires(roles.KEY_STUDENT_VIEW)
@audited_read
def key_student_list(request):
    due_only = request.GET.get("show") != "all"
    class_id = query_id(request.GET.get("class"))
    category = request.GET.get("category", "")
    rows, cut = selectors.key_marks_open(request.user, due_only=due_only, class_id=class_id, category=category)
    if rows:
        record_reads(user=request.user, students=[(m.student_id, m.pk) for m in rows], record_type="student.key_marks",
                     request=request)
    return render(request, "people/key_students.html", {
        "rows": rows, "cut": cut, "due_only": due_only, "category": category,
        "categories": selectors.key_categories(active_only=False), "due_days": selectors.DUE_WITHIN_DAYS,
        "may_mark": scope.has_permission(request.user, roles.KEY_STUDENT_MARK),
    })


@requires(roles.GROUPS_MANAGE)
def key_categories(request):
    """The city's key-student categories: add one, rename or (de)activate one."""
    error, form = "", {}
    if request.method == "POST":
        form = request.POST
        category_id = query_id(request.POST.get("category"))
        try:
            if category_id:
                category = KeyStudentCategory.objects.filter(pk=category_id).first()
                if category is None:
                    raise key_students.KeyStudentRefused(_("That category does not exist."))
                key_students.category_update(actor=request.user, category=category,
                                             name_zh=request.POST.get("name_zh", ""),
                                             name_en=request.POST.get("name_en", ""),
                                             is_active=request.POST.get("is_active") == "on")
                messages.success(request, _("Category saved."))
            else:
                key_students.category_create(actor=request.user, name_zh=request.POST.get("name_zh", ""),
                                             name_en=request.POST.get("name_en", ""))
                messages.success(request, _("Category added."))
            return redirect("people:key_categories")
        except key_students.KeyStudentRefused as refused:
            error = str(refused)
    return render(request, "people/key_categories.html", {
        "categories": selectors.key_categories(active_only=False), "error": error, "form": form,
        "edited": query_id(form.get("category")) if form else None,
    }, status=400 if error else 200)
