"""Students' accounts of a class (accounts/students.py): who has one, who has signed in, who still has a first
password; issue the missing ones, print the class credential sheet, give one student a new first password."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from runxin.access import roles, scope
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_reads
from runxin.org.models import OrgUnit

from . import credential_sheet, students


@require_GET
@requires(roles.STUDENT_ACCOUNTS)
def student_accounts_home(request):
    """The classes whose accounts this person looks after (a head teacher goes straight to their one class)."""
    classes = students.manageable_classes(request.user)
    if len(classes) == 1:
        return redirect("accounts:student_accounts", classes[0].pk)
    return render(request, "accounts/students/home.html", {"classes": classes})


@require_GET
@requires(roles.STUDENT_ACCOUNTS)
def student_accounts(request, class_id: int):
    school_class = students.class_or_404(request.user, class_id)
    rows = students.class_rows(request.user, school_class)
    counts = {state: sum(1 for r in rows if r.state == state) for state in ("none", "first_password", "active", "closed")}
    return render(request, "accounts/students/class.html", {
        "school_class": school_class, "rows": rows, "counts": counts,
        "missing": counts["none"] + counts["closed"],
        "may_reset": scope.unit_permission(request.user, school_class, roles.STUDENT_ACCOUNT_RESET),
    })


@require_POST
@requires(roles.STUDENT_ACCOUNTS)
def student_accounts_issue(request, class_id: int):
    school_class = students.class_or_404(request.user, class_id)
    try:
        issued = students.issue_for_class(actor=request.user, school_class=school_class)
    except students.StudentAccountError as error:
        messages.error(request, str(error))
    else:
        if issued.created or issued.reopened:
            messages.success(request, _("%(count)s accounts issued. Print the credential sheet and hand out the slips.")
                             % {"count": issued.created + issued.reopened})
        else:
            messages.info(request, _("Every student of this class already has an account."))
    return redirect("accounts:student_accounts", school_class.pk)


@require_POST
@requires(roles.STUDENT_ACCOUNTS)
def student_accounts_issue_school(request, unit_id: int):
    school = scope.unit_or_404(request.user, unit_id, roles.STUDENT_ACCOUNTS)
    if school.kind != OrgUnit.Kind.SCHOOL:
        raise PermissionDenied(roles.STUDENT_ACCOUNTS)
    try:
        issued = students.issue_for_school(actor=request.user, school=school)
    except students.StudentAccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(count)s accounts issued in %(classes)s classes.") % {
            "count": issued.created + issued.reopened, "classes": issued.classes})
    return redirect("accounts:student_accounts_home")


@require_GET
@requires(roles.STUDENT_ACCOUNTS)
@audited_read
def student_accounts_sheet(request, class_id: int):
    """The class credential sheet (PDF). Printing shows first passwords: every student on it is read-audited."""
    school_class = students.class_or_404(request.user, class_id)
    entries = students.sheet_entries(request.user, school_class)
    record_reads(user=request.user, students=[(row.student.pk, row.user.pk) for row, _password in entries],
                 record_type="student_credentials", request=request, purpose="class credential sheet")
    body = credential_sheet.credential_sheet(school_class=school_class, entries=entries)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="accounts-{school_class.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@requires(roles.STUDENT_ACCOUNT_RESET)
def student_account_reset(request, student_id: int):
    student = students.student_for_reset(request.user, student_id)
    try:
        students.password_reset(actor=request.user, student=student)
    except students.StudentAccountError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s has a new first password: print the credential sheet for their slip.")
                         % {"name": student.name})
    return redirect("accounts:student_accounts", student.school_class_id)
