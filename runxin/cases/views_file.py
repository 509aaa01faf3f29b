"""The student's file page (一人一档)."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from runxin.access import roles
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_read

from . import plan_selectors, selectors


@requires(roles.CASE_FILE)
@require_safe
@audited_read
def student_file(request, student_id: int):
    kind = request.GET.get("kind", "")
    file = selectors.student_file(request.user, student_id, kind=kind if kind in selectors.KINDS else "")
    record_read(user=request.user, student=file.student, record_type="case.file", record_id=file.student.pk,
                request=request, purpose=kind)
    held = file.held
    open_warning = next((w for w in file.warnings if w.closed_at is None and w.dismissed_at is None), None)
    labels = selectors.kind_labels()
    return render(request, "cases/file.html", {
        "file": file, "student": file.student, "entries": file.entries, "kind": kind,
        "kinds": [(k, labels[k], file.counts.get(k, 0)) for k in selectors.KINDS if file.counts.get(k)],
        "open_warning": open_warning,
        "plan": plan_selectors.open_plan_of(request.user, file.student),
        "may": {
            "plan": roles.CASE_PLAN in held,
            "session": roles.COUNSELING_RECORD in held,
            "consult": roles.CONSULT_REQUEST in held,
            "refer": roles.REFERRAL_MAKE in held,
            "visit": roles.VISIT_RECORD in held,
            "contact": roles.MENTOR_CONTACT in held,
            "profile": roles.STUDENT_ROSTER in held,
        },
    })
