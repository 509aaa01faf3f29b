"""The Excel export of a campaign's results, written by the one export writer (runxin/exports/writer.py): no
cell can start a formula, text is text, the requester is named in the workbook, and the export is audited."""

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from runxin.exports import writer

from .core.definition import text_in
from .models import Campaign

# Kept for callers and tests that name them here; the writer holds the rule.
FORMULA_START = writer.FORMULA_START
safe_cell = writer.safe_value


def header(codes: list[str]) -> list[str]:
    row = [_("School"), _("Class"), _("Student number"), _("Name"), _("Handed in"), _("Most severe signal")]
    for code in codes:
        row += [f"{code} {_('total')}", f"{code} {_('band')}", f"{code} {_('validity')}",
                f"{code} {_('critical item')}"]
    return row


def rows(codes: list[str], submissions, *, language: str) -> Iterator[list]:
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
        yield row


def results_sheet(campaign: Campaign, submissions, *, language: str) -> writer.Sheet:
    codes = list(campaign.instruments.order_by("position").values_list("version__instrument__code", flat=True))
    return writer.Sheet(title=_("Results"), header=header(codes), rows=rows(codes, submissions, language=language))
