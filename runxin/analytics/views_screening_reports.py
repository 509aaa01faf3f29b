"""The screening report pages (测评报告): the list of campaigns with a report, and one campaign's report for a
school, district or city as HTML, PDF and Excel. Thin: what the report holds is screening_report.py's; the PDF
is pdf.py's, the workbook excel.py's. A page that names key students records the read (read audit) in its own
transaction, so the names are never sent without it."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from runxin.access import roles
from runxin.access.decorators import audited_read, requires
from runxin.access.read_audit import record_reads
from runxin.exports import writer
from runxin.screening import i18n

from . import excel, pdf
from . import screening_report as report

RECORD_TYPE = "screening_report.key_students"


def _language() -> str:
    return i18n.lang()  # the tag instrument texts use ("zh-Hans", "en")


def _audit(request, campaign, blocks) -> None:
    """One read-audit row per key student named (record id: the campaign)."""
    ids = report.key_student_ids(blocks)
    if ids:
        record_reads(user=request.user, students=[(pk, campaign.pk) for pk in ids], record_type=RECORD_TYPE,
                     request=request, purpose=_("screening report: key students"))


@require_GET
@requires(roles.SCREENING_REPORT)
def screening_reports(request):
    reports = report.report_list(request.user)
    if len(reports) == 1 and len(reports[0][1]) == 1 and request.GET.get("list") is None:
        campaign, (unit,) = reports[0]
        return redirect("analytics:screening_report", campaign_id=campaign.pk, unit_id=unit.pk)
    return render(request, "analytics/screening_reports.html", {"reports": reports})


def _report(request, campaign_id: int, unit_id: int, *, names: bool = True):
    """The report the user may open (404 otherwise), with the read of the key students it names recorded."""
    campaign = report.campaign_or_404(request.user, campaign_id)
    unit = report.unit_or_404(request.user, campaign, unit_id)
    built = report.build(request.user, campaign, unit, language=_language(), names=names)
    _audit(request, campaign, built.key_students)
    return built


@require_GET
@requires(roles.SCREENING_REPORT)
@audited_read
def screening_report(request, campaign_id: int, unit_id: int):
    return render(request, "analytics/screening_report.html", {"report": _report(request, campaign_id, unit_id)})


@require_GET
@requires(roles.SCREENING_REPORT)
@audited_read
def screening_report_pdf(request, campaign_id: int, unit_id: int):
    built = _report(request, campaign_id, unit_id)
    response = HttpResponse(pdf.screening_report(built), content_type="application/pdf")
    response["Content-Disposition"] = writer.attachment(f"{_filename(built)}.pdf").replace("attachment", "inline", 1)
    return response


@require_GET
@requires(roles.SCREENING_REPORT)
@audited_read
def screening_report_xlsx(request, campaign_id: int, unit_id: int):
    built = _report(request, campaign_id, unit_id, names=False)
    # The workbook lists the key students of every school under the unit where the viewer has need-to-know.
    schools = report.named_schools(request.user, built.campaign, built.unit)
    blocks = report.key_students_of(request.user, built.campaign, built.unit, schools=schools)
    _audit(request, built.campaign, blocks)
    what = _("Screening report")
    export = writer.start(request, kind="analytics.screening_report", file_format="xlsx",
                          title=f"{what} · {built.campaign.name} · {built.unit.name}",
                          filters={"campaign": built.campaign.pk, "unit": built.unit.pk})
    return writer.xlsx_response(export, excel.screening_report_sheets(built, blocks),
                                filename=f"{_filename(built)}.xlsx")


def _filename(built) -> str:
    what = _("screening report")
    return f"{built.campaign.name}-{built.unit.name}-{what}"
