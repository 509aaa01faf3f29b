"""The screening report's tables as an Excel workbook (through the one export writer, runxin/exports/writer.py:
formula-safe cells, the requester named, the export audited): one sheet per table, figures as numbers, hidden
ones as the page shows them ("*"), and the named key students only for the schools where the viewer may
see them."""

from django.utils.translation import gettext as _

from runxin.exports import writer

from .screening_report import Cell, KeyStudents, Report


def _value(cell: Cell):
    """A shown figure as a number (so the sheet can be summed by whoever may), anything else as its text."""
    if cell.fig and not cell.hidden and cell.value is not None:
        return cell.value
    return cell.text


def screening_report_sheets(report: Report, key_students: list[KeyStudents]) -> list[writer.Sheet]:
    sheets = []
    number = 0
    for section in report.sections:
        for table in section.tables:
            number += 1
            title = table.title if table.title == section.title else f"{section.title} {table.title}"
            rows = [[_value(c) for c in row] for row in table.rows]
            if table.note:
                rows += [[], [table.note]]
            sheets.append(writer.Sheet(title=f"{number:02d} {title}"[:31], header=table.header, rows=rows,
                                       widths=[28] + [12] * (len(table.header) - 1)))
    if not report.exact:
        legend = _("Legend")
        sheets.append(writer.Sheet(title=f"{number + 1:02d} {legend}", header=[_("Mark"), _("Meaning")], rows=[
            ["*", _("Hidden: a figure from fewer than 5 students, or one that would let such a figure be worked out.")],
            ["—", _("Not shown: a share of a hidden figure, or nothing to compare with.")]]))
        number += 1
    named = [(block.school, row) for block in key_students for row in block.rows]
    if named:
        header = [_("School"), _("Class"), _("Name"), _("Student number"), _("Why"), _("Warning level"),
                  _("Action status")]
        rows = [[school.name, row.school_class.name if row.school_class else "", row.student.name,
                 row.student.student_number, "；".join(row.reasons),
                 row.level_name, row.status] for school, row in named]
        title = _("Key students")
        sheets.append(writer.Sheet(title=f"{number + 1:02d} {title}"[:31], header=header, rows=rows,
                                   widths=[20, 14, 10, 22, 48, 10, 16]))
    return sheets
