"""The parent's home (家长首页): one card per child with what the parent can do now."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from runxin.access import roles
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_reads
from runxin.screening import help, individual_report
from runxin.screening.models import ReportShare

from . import family


@require_GET
@requires(roles.PARENT_HOME)
@audited_read
def family_home(request):
    """Consents to give, a worry to report and what became of the last ones, the head teacher's contact and
    guidance for parents. Reading the children's screening and report status is audited like any such read."""
    children = family.children_with_tasks(request.user)
    record_reads(user=request.user, request=request, record_type="parent.home",
                 students=[child.student.pk for child in children])
    # >>> individual reports
    # The feedback on a screening that the psychology teacher shared with the parents (of these children only).
    reports = individual_report.shared_with(request.user, ReportShare.Audience.PARENTS)
    # <<< individual reports
    return render(request, "front/family.html", {
        "children": children, "hotlines": help.hotlines(), "emergency_numbers": help.emergency_numbers(),
        "reports": reports,
    })
