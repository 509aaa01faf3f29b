"""The Excel export of a campaign's results. No cell the workbook holds can start a formula."""

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from .core.definition import text_in
from .models import Campaign

# A spreadsheet treats a cell starting with one of these as a formula (CSV/formula injection, CWE-1236).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value):
    """Numbers stay numbers; text that could start a formula is prefixed with an apostrophe."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def results_workbook(campaign: Campaign, submissions, *, language: str) -> bytes:
    codes = list(campaign.instruments.order_by("position").values_list("version__instrument__code", flat=True))
    book = Workbook()
    sheet = book.active
    sheet.title = _("Results")[:31]
    header = [_("School"), _("Class"), _("Student number"), _("Name"), _("Handed in"), _("Most severe signal")]
    for code in codes:
        header += [f"{code} {_('total')}", f"{code} {_('band')}", f"{code} {_('validity')}",
                   f"{code} {_('critical item')}"]
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    levels = {4: _("Critical"), 3: _("High"), 2: _("Needs review"), 1: _("Moderate"), 0: _("None")}
    for submission in submissions:
        target = submission.target
        by_code = {r.instrument_code: r for r in submission.results.all()}
        row = [
            target.school.name if target.school else "", target.school_class.name if target.school_class else "",
            target.student.student_number, target.student.name,
            timezone.localtime(submission.received_at).strftime("%Y-%m-%d %H:%M"), levels.get(submission.risk_rank, ""),
        ]
        for code in codes:
            result = by_code.get(code)
            if result is None:
                row += [None, "", "", ""]
                continue
            band = ((result.score or {}).get("total") or {}).get("band") or {}
            row += [float(result.total) if result.total is not None else None,
                    text_in(band.get("label") or {}, language) if band else "",
                    result.get_validity_display(), _("yes") if result.critical else _("no")]
        sheet.append([safe_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
